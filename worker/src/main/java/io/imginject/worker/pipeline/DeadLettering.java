package io.imginject.worker.pipeline;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.PublishRefusedException;
import io.imginject.worker.broker.PublishRetry;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.metrics.WorkerMetrics;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead-letters a request, retrying while the broker is away. When the copy is refused as it is (the request's own
 * headers leave no room in one frame for the reason headers), it dead-letters a copy without the request's own
 * headers instead, its reason saying so; when even that is refused, the copy is given up and logged. Either way a
 * publisher cannot make a request requeue for ever.
 */
final class DeadLettering {
    private static final Logger log = LoggerFactory.getLogger(DeadLettering.class);
    /** The request headers a headerless copy keeps: the ones the worker reads, when they are short. */
    private static final List<String> KEPT =
            List.of(DeadLetterHeaders.REPLAYS, DeadLetterHeaders.REPLAY_SEAL, Wire.DEADLINE_HEADER);

    private static final int KEPT_MAX_CHARS = 64;

    private final DeadLetterPublisher publisher;
    private final PublishRetry retry;
    private final WorkerMetrics metrics;

    /** @param metrics counts the dead letters published, by code */
    DeadLettering(DeadLetterPublisher publisher, PublishRetry retry, WorkerMetrics metrics) {
        this.publisher = publisher;
        this.retry = retry;
        this.metrics = metrics;
    }

    /**
     * Publishes the copy of a request from {@code origin} with its reason.
     *
     * @throws IOException when the broker stayed away
     */
    void publish(Delivery delivery, Origin origin, DeadLetterReason reason) throws IOException {
        try {
            retry.run(() -> publisher.publish(delivery, origin, reason));
            metrics.deadLettered(reason.code());
        } catch (PublishRefusedException refused) {
            log.warn(
                    "the dead-letter copy was refused ({}); dead-lettering it without the request's own headers",
                    refused.getMessage());
            Delivery bare = new Delivery(
                    delivery.getEnvelope(), withoutOwnHeaders(delivery.getProperties()), delivery.getBody());
            DeadLetterReason told = new DeadLetterReason(
                    reason.code(),
                    reason.message() + " (the request's own headers were left off" + " this copy: with them "
                            + refused.getMessage() + ")",
                    reason.handlersTried());
            try {
                retry.run(() -> publisher.publish(bare, origin, told));
                metrics.deadLettered(told.code());
            } catch (PublishRefusedException again) {
                log.error(
                        "the request cannot be dead-lettered, even without its own headers ({}); it is dropped",
                        again.getMessage());
            }
        }
    }

    private static AMQP.BasicProperties withoutOwnHeaders(AMQP.BasicProperties properties) {
        Map<String, Object> kept = new HashMap<>();
        Map<String, Object> headers = properties.getHeaders() == null ? Map.of() : properties.getHeaders();
        for (String name : KEPT) {
            Object value = headers.get(name);
            if (value != null && value.toString().length() <= KEPT_MAX_CHARS) {
                kept.put(name, value);
            }
        }
        return properties.builder().headers(kept).build();
    }
}
