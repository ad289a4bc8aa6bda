package io.imginject.worker.v1;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import io.imginject.worker.broker.Resubscriber;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one of a host's queues on its own channel, with manual acks and a prefetch, after declaring the host's
 * {@link Topology}; consumes again when the broker cancels the consumer; stops taking deliveries on request.
 */
final class HostQueueConsumer {
    private static final Logger log = LoggerFactory.getLogger(HostQueueConsumer.class);

    private final Channel channel;
    private final String host;
    private final String queue;
    private final int prefetch;
    private final Consumer<Delivery> onDelivery;
    private final Resubscriber resubscriber;
    private volatile boolean stopping;
    private volatile String consumerTag;

    HostQueueConsumer(Channel channel, String host, String queue, int prefetch, Consumer<Delivery> onDelivery,
            ScheduledExecutorService scheduler) {
        this.channel = channel;
        this.host = host;
        this.queue = queue;
        this.prefetch = prefetch;
        this.onDelivery = onDelivery;
        this.resubscriber = new Resubscriber(scheduler, queue, this::subscribe, () -> stopping);
    }

    void start() throws IOException {
        channel.basicQos(prefetch);
        subscribe();
    }

    private void subscribe() throws IOException {
        Topology.declare(channel, host);
        consumerTag = channel.basicConsume(queue, false, "imginject-" + queue + "-" + UUID.randomUUID(),
                (tag, delivery) -> onDelivery.accept(delivery), resubscriber::cancelled);
        log.info("consuming {} with prefetch {}", queue, prefetch);
    }

    /** Whether {@link #stop()} was called: deliveries still arriving belong back in the queue. */
    boolean isStopping() {
        return stopping;
    }

    void stop() {
        stopping = true;
        String tag = consumerTag;
        if (tag != null && channel.isOpen()) {
            try {
                channel.basicCancel(tag);
            } catch (IOException | AlreadyClosedException e) {
                log.warn("could not cancel the consumer of {}: {}", queue, e.toString());
            }
        }
    }
}
