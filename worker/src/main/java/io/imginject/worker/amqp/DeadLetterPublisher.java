package io.imginject.worker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Wire;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Puts a copy of a request the worker gives up on into the dead-letter exchange, with headers that say why,
 * where it came from and when. The copy keeps the request's properties (reply_to, correlation_id, message_id),
 * so a replayed request is answered like the original. Publishing is confirmed before the caller acks the
 * original.
 */
public final class DeadLetterPublisher {
    private static final int MAX_MESSAGE_CHARS = 4000;

    private final ConfirmedPublisher publisher;
    private final String host;
    private final Clock clock;

    public DeadLetterPublisher(ConfirmedPublisher publisher, String host, Clock clock) {
        this.publisher = publisher;
        this.host = host;
        this.clock = clock;
    }

    public void publish(Delivery delivery, DeadLetterReason reason) throws IOException {
        AMQP.BasicProperties original = delivery.getProperties();
        Map<String, Object> headers = new HashMap<>(original.getHeaders() == null ? Map.of() : original.getHeaders());
        String message = reason.message();
        headers.put(DeadLetterHeaders.ERROR_CODE, reason.code().wireName());
        headers.put(DeadLetterHeaders.ERROR_MESSAGE, message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "..." : message);
        headers.remove(DeadLetterHeaders.EXCEPTION_CLASS);
        reason.exceptionClass().ifPresent(name -> headers.put(DeadLetterHeaders.EXCEPTION_CLASS, name));
        headers.put(DeadLetterHeaders.HANDLERS_TRIED, String.join(",", reason.handlersTried()));
        headers.put(DeadLetterHeaders.HOST, host);
        headers.put(DeadLetterHeaders.FAILED_AT, Instant.now(clock).toString());
        headers.putIfAbsent(DeadLetterHeaders.ORIGINAL_EXCHANGE, delivery.getEnvelope().getExchange());
        headers.putIfAbsent(DeadLetterHeaders.ORIGINAL_ROUTING_KEY, delivery.getEnvelope().getRoutingKey());
        if (original.getExpiration() != null) {
            headers.put(DeadLetterHeaders.ORIGINAL_EXPIRATION, original.getExpiration());
        }
        AMQP.BasicProperties copy = original.builder().headers(headers).expiration(null).deliveryMode(2).build();
        publisher.publish(Wire.DEAD_LETTER_EXCHANGE, delivery.getEnvelope().getRoutingKey(), copy, delivery.getBody());
    }
}
