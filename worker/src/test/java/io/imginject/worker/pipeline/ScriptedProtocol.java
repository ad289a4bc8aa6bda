package io.imginject.worker.pipeline;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.worker.broker.Publisher;
import io.imginject.worker.deadletter.Origin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A protocol as small as the pipeline allows: a delivery's message id is its job id and dedup id, its reply_to its
 * reply address, and every request does the {@link #work} the test gives it. Replies go through the broker's
 * {@link Publisher} by the default exchange, with the job id as message id.
 */
final class ScriptedProtocol implements Protocol<ScriptedProtocol.Caller> {

    /** A caller's reply queue. */
    record Caller(String queue) implements ReplyQueue {}

    private final Publisher broker;
    final AtomicInteger reads = new AtomicInteger();
    volatile Work work;
    volatile boolean keyed = true;
    volatile boolean dropsDuplicates;
    volatile RuntimeException unreadable;

    ScriptedProtocol(Publisher broker) {
        this.broker = broker;
    }

    @Override
    public Request<Caller> read(Delivery delivery) {
        reads.incrementAndGet();
        if (unreadable != null) {
            throw unreadable;
        }
        AMQP.BasicProperties properties = delivery.getProperties();
        String jobId = properties.getMessageId();
        return new Request<>(
                jobId,
                Map.of("request", "req-" + jobId),
                Optional.ofNullable(properties.getReplyTo()).map(Caller::new),
                keyed ? Optional.of(jobId) : Optional.empty(),
                Origin.of(delivery),
                work);
    }

    @Override
    public Replies<Caller> replies() {
        return new Replies<>() {
            @Override
            public void send(Caller to, String jobId, byte[] reply) throws IOException {
                broker.publish(
                        "",
                        to.queue(),
                        new AMQP.BasicProperties.Builder().messageId(jobId).build(),
                        reply);
            }

            @Override
            public byte[] replyRefused(Caller to, String jobId, String message) {
                return ("reply_refused: " + message).getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    @Override
    public boolean dropsDuplicatesInFlight() {
        return dropsDuplicates;
    }
}
