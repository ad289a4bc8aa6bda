package io.imginject.worker.broker;

import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The broker's own record of why it dead-lettered a message: the latest entry of the {@code x-death} header it adds.
 *
 * @param reason {@code expired}, {@code delivery_limit}, {@code rejected} or {@code maxlen}
 * @param queue the queue the message was dead-lettered from
 * @param exchange the exchange it had been published to
 * @param routingKey the routing key it had been published with
 * @param time when the broker dead-lettered it
 * @param originalExpiration the message's expiration, which the broker removes when it dead-letters an expired one
 */
public record BrokerDeath(
        String reason,
        String queue,
        String exchange,
        Optional<String> routingKey,
        Optional<Date> time,
        Optional<String> originalExpiration) {

    /** The latest death recorded in {@code headers}, if the broker dead-lettered the message. */
    public static Optional<BrokerDeath> latest(Map<String, Object> headers) {
        if (headers == null
                || !(headers.get("x-death") instanceof List<?> deaths)
                || deaths.isEmpty()
                || !(deaths.get(0) instanceof Map<?, ?> death)) {
            return Optional.empty();
        }
        Optional<String> routingKey = Optional.ofNullable(death.get("routing-keys"))
                .filter(keys -> keys instanceof List<?> list && !list.isEmpty())
                .map(keys -> String.valueOf(((List<?>) keys).get(0)));
        return Optional.of(new BrokerDeath(
                text(death.get("reason")),
                text(death.get("queue")),
                text(death.get("exchange")),
                routingKey,
                Optional.ofNullable(death.get("time"))
                        .filter(Date.class::isInstance)
                        .map(Date.class::cast),
                Optional.ofNullable(death.get("original-expiration")).map(String::valueOf)));
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }
}
