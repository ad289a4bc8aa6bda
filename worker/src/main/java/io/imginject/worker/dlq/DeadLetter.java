package io.imginject.worker.dlq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.imginject.worker.broker.BrokerDeath;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.deadletter.DeadLetterSeal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.Map;
import java.util.Optional;

/**
 * A message in the dead-letter queue, with what its headers say: why it failed, where, when, and where it was first
 * published. Messages the broker dead-lettered itself say it in {@code x-death} instead. What its headers say is
 * to be trusted only once its seal holds (see {@link DeadLetterSeal}).
 *
 * @param deliveryTag its delivery tag on the channel it was read from
 * @param properties its AMQP properties
 * @param body its body, as published: sealed, where a worker published it
 * @param routingKey the routing key it was dead-lettered with
 */
@SuppressWarnings("ArrayRecordComponent") // carries a body from the AMQP client's byte[]; never compared
public record DeadLetter(long deliveryTag, AMQP.BasicProperties properties, byte[] body, String routingKey) {

    static DeadLetter of(GetResponse response) {
        return new DeadLetter(
                response.getEnvelope().getDeliveryTag(),
                response.getProps(),
                response.getBody(),
                response.getEnvelope().getRoutingKey());
    }

    public Map<String, Object> headers() {
        return properties.getHeaders() == null ? Map.of() : properties.getHeaders();
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers().get(name)).map(Object::toString);
    }

    public String jobId() {
        return Optional.ofNullable(properties.getMessageId())
                .or(() -> Optional.ofNullable(properties.getCorrelationId()))
                .orElse("-");
    }

    /** Whether it says it is sealed; whether the seal holds only {@link DeadLetterSeal#open} tells. */
    public boolean isSealed() {
        return header(DeadLetterHeaders.SEALED).isPresent();
    }

    public Optional<String> correlationId() {
        return Optional.ofNullable(properties.getCorrelationId());
    }

    /** The worker host that gave up on it, or the host its routing key names. */
    public Optional<String> host() {
        return header(DeadLetterHeaders.HOST)
                .or(() -> originalRoutingKey()
                        .filter(k -> k.startsWith("inject."))
                        .map(k -> k.substring(7)));
    }

    /** The error code, or for a message the broker dead-lettered, its reason ({@code delivery_limit}, {@code expired}). */
    public String code() {
        return header(DeadLetterHeaders.ERROR_CODE)
                .or(() -> brokerDeath().map(BrokerDeath::reason))
                .orElse("unknown");
    }

    public String message() {
        return header(DeadLetterHeaders.ERROR_MESSAGE)
                .orElse(brokerDeath()
                        .map(d -> "dead-lettered by the broker: " + d.reason())
                        .orElse(""));
    }

    public Optional<Instant> failedAt() {
        Optional<String> header = header(DeadLetterHeaders.FAILED_AT);
        if (header.isPresent()) {
            try {
                return Optional.of(Instant.parse(header.get()));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        return brokerDeath().flatMap(BrokerDeath::time).map(Date::toInstant);
    }

    public int replays() {
        return header(DeadLetterHeaders.REPLAYS)
                .map(v -> {
                    try {
                        return Integer.parseInt(v.strip());
                    } catch (NumberFormatException e) {
                        return 0;
                    }
                })
                .orElse(0);
    }

    /** Where it was first published: the worker's header, else the broker's x-death record. */
    public Optional<String> originalExchange() {
        return header(DeadLetterHeaders.ORIGINAL_EXCHANGE)
                .or(() -> brokerDeath().map(BrokerDeath::exchange));
    }

    public Optional<String> originalRoutingKey() {
        return header(DeadLetterHeaders.ORIGINAL_ROUTING_KEY)
                .or(() -> brokerDeath().flatMap(BrokerDeath::routingKey));
    }

    private Optional<BrokerDeath> brokerDeath() {
        return BrokerDeath.latest(headers());
    }
}
