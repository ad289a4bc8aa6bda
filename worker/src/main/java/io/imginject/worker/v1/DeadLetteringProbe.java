package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * Proves, before a worker that declares its queues takes a request, that the broker dead-letters from the host
 * queues: the worker's declarations carry no dead-letter arguments, so without the policy a request that expires or
 * keeps killing workers would be dropped without a word. The probe is a quorum queue named like a host queue
 * ({@code imginject.dead-letter-probe-<random>}, matched by the same policy) from which one message is rejected;
 * it must arrive on {@link Wire#UNANSWERED_EXCHANGE} within {@link #WAIT}. Both queues are deleted afterwards.
 */
public final class DeadLetteringProbe {
    static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(20);

    private DeadLetteringProbe() {}

    /** Fails with a {@link DeadLetteringMissingException} when a host queue would not dead-letter. */
    public static void check(Connection connection) throws IOException {
        String probe = Wire.queue("dead-letter-probe-" + UUID.randomUUID());
        Channel channel = connection.createChannel();
        String catcher = null;
        boolean declared = false;
        try {
            channel.exchangeDeclare(Wire.UNANSWERED_EXCHANGE, BuiltinExchangeType.DIRECT, true);
            catcher = channel.queueDeclare().getQueue();
            channel.queueBind(catcher, Wire.UNANSWERED_EXCHANGE, probe);
            channel.queueDeclare(
                    probe, true, false, false, Map.of("x-queue-type", "quorum", "x-quorum-initial-group-size", 1));
            declared = true;
            channel.basicPublish(
                    "", probe, new AMQP.BasicProperties.Builder().build(), "probe".getBytes(StandardCharsets.UTF_8));
            GetResponse taken = poll(channel, probe, false);
            if (taken == null) {
                throw new IOException("the dead-lettering probe's message never reached its queue " + probe);
            }
            channel.basicReject(taken.getEnvelope().getDeliveryTag(), false);
            if (poll(channel, catcher, true) == null) {
                throw new DeadLetteringMissingException(probe, WAIT);
            }
        } finally {
            cleanUp(channel, declared ? probe : null, catcher);
        }
    }

    private static GetResponse poll(Channel channel, String queue, boolean autoAck) throws IOException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            GetResponse response = channel.basicGet(queue, autoAck);
            if (response != null) {
                return response;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while probing dead-lettering", e);
            }
        }
        return null;
    }

    private static void cleanUp(Channel channel, String probe, String catcher) throws IOException {
        try {
            if (probe != null) {
                channel.queueDelete(probe);
            }
            if (catcher != null) {
                channel.queueDelete(catcher);
            }
            channel.close();
        } catch (TimeoutException e) {
            throw new IOException("closing the dead-lettering probe's channel timed out", e);
        }
    }
}
