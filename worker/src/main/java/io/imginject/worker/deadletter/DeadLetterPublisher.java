package io.imginject.worker.deadletter;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.Publisher;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;

/**
 * Puts a sealed copy of a request the worker gives up on into the dead-letter exchange, with headers that say why,
 * where it came from and when. The copy keeps the request's properties (reply_to, correlation_id, message_id),
 * so a replayed request is answered like the original, and the request's own headers but for the worker's
 * bookkeeping, which the worker sets itself (see {@link DeadLetterHeaders#withoutBookkeeping}); its body is sealed
 * with the {@link DeadLetterSeal}. Publishing is confirmed before the caller acks the original.
 */
public final class DeadLetterPublisher {
    private static final int MAX_MESSAGE_CHARS = 4000;

    private final Publisher publisher;
    private final String host;
    private final Clock clock;
    private final DeadLetterSeal seal;
    private final ReplayCount replays;

    public DeadLetterPublisher(
            Publisher publisher, String host, Clock clock, DeadLetterSeal seal, ReplayCount replays) {
        this.publisher = publisher;
        this.host = host;
        this.clock = clock;
        this.seal = seal;
        this.replays = replays;
    }

    /** Publishes the sealed copy of a request that came from {@code origin}. */
    public void publish(Delivery delivery, Origin origin, DeadLetterReason reason) throws IOException {
        AMQP.BasicProperties original = delivery.getProperties();
        Map<String, Object> headers = DeadLetterHeaders.withoutBookkeeping(original.getHeaders());
        String message = reason.message();
        headers.put(DeadLetterHeaders.ERROR_CODE, reason.code().wireName());
        headers.put(
                DeadLetterHeaders.ERROR_MESSAGE,
                message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "..." : message);
        headers.put(DeadLetterHeaders.HANDLERS_TRIED, String.join(",", reason.handlersTried()));
        headers.put(DeadLetterHeaders.HOST, host);
        headers.put(DeadLetterHeaders.FAILED_AT, Instant.now(clock).toString());
        headers.put(DeadLetterHeaders.ORIGINAL_EXCHANGE, origin.exchange());
        headers.put(DeadLetterHeaders.ORIGINAL_ROUTING_KEY, origin.routingKey());
        origin.expiration().ifPresent(expiration -> headers.put(DeadLetterHeaders.ORIGINAL_EXPIRATION, expiration));
        int replayed = replays.trusted(original, delivery.getBody());
        if (replayed > 0) {
            headers.put(DeadLetterHeaders.REPLAYS, replayed);
        }
        AMQP.BasicProperties copy = original.builder()
                .headers(headers)
                .expiration(null)
                .deliveryMode(2)
                .build();
        DeadLetterSeal.Sealed sealed = seal.seal(copy, delivery.getBody());
        publisher.publish(Wire.DEAD_LETTER_EXCHANGE, origin.routingKey(), sealed.properties(), sealed.body());
    }
}
