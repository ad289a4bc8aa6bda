package io.imginject.worker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Wire;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Puts a copy of a request the worker gives up on into the dead-letter exchange, with headers that say why,
 * where it came from and when. The copy keeps the request's properties (reply_to, correlation_id, message_id),
 * so a replayed request is answered like the original. Publishing is confirmed before the caller acks the
 * original.
 */
public final class DeadLetterPublisher {
    private static final int MAX_MESSAGE_CHARS = 4000;
    private static final List<String> BROKER_DEATH_HEADERS = List.of("x-death", "x-first-death-exchange", "x-first-death-queue",
            "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason");

    private final ConfirmedPublisher publisher;
    private final String host;
    private final Clock clock;

    public DeadLetterPublisher(ConfirmedPublisher publisher, String host, Clock clock) {
        this.publisher = publisher;
        this.host = host;
        this.clock = clock;
    }

    /**
     * Publishes the copy. Where the broker dead-lettered the request first (it expired, or reached the delivery
     * limit), its origin comes from the broker's death record, which the copy then drops: its own headers say why.
     */
    public void publish(Delivery delivery, DeadLetterReason reason) throws IOException {
        AMQP.BasicProperties original = delivery.getProperties();
        Map<String, Object> headers = new HashMap<>(original.getHeaders() == null ? Map.of() : original.getHeaders());
        Optional<BrokerDeath> death = BrokerDeath.latest(headers);
        BROKER_DEATH_HEADERS.forEach(headers::remove);
        String message = reason.message();
        headers.put(DeadLetterHeaders.ERROR_CODE, reason.code().wireName());
        headers.put(DeadLetterHeaders.ERROR_MESSAGE, message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "..." : message);
        headers.remove(DeadLetterHeaders.EXCEPTION_CLASS);
        reason.exceptionClass().ifPresent(name -> headers.put(DeadLetterHeaders.EXCEPTION_CLASS, name));
        headers.put(DeadLetterHeaders.HANDLERS_TRIED, String.join(",", reason.handlersTried()));
        headers.put(DeadLetterHeaders.HOST, host);
        headers.put(DeadLetterHeaders.FAILED_AT, Instant.now(clock).toString());
        String routingKey = death.flatMap(BrokerDeath::routingKey).orElse(delivery.getEnvelope().getRoutingKey());
        headers.putIfAbsent(DeadLetterHeaders.ORIGINAL_EXCHANGE, death.map(BrokerDeath::exchange).orElse(delivery.getEnvelope().getExchange()));
        headers.putIfAbsent(DeadLetterHeaders.ORIGINAL_ROUTING_KEY, routingKey);
        Optional.ofNullable(original.getExpiration()).or(() -> death.flatMap(BrokerDeath::originalExpiration))
                .ifPresent(expiration -> headers.put(DeadLetterHeaders.ORIGINAL_EXPIRATION, expiration));
        AMQP.BasicProperties copy = original.builder().headers(headers).expiration(null).deliveryMode(2).build();
        publisher.publish(Wire.DEAD_LETTER_EXCHANGE, routingKey, copy, delivery.getBody());
    }
}
