package io.imginject.worker.broker;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@link ConsumedQueues} on one channel, with manual acks and a prefetch, after declaring what they need;
 * declares and consumes again when the broker cancels a consumer (the consumers still running are cancelled first);
 * stops taking deliveries on request.
 */
public final class QueueConsumer {
    private static final Logger log = LoggerFactory.getLogger(QueueConsumer.class);

    private final Channel channel;
    private final ConsumedQueues queues;
    private final int prefetch;
    private final Consumer<Delivery> onDelivery;
    private final Resubscriber resubscriber;
    private final Set<String> consumerTags = ConcurrentHashMap.newKeySet();
    private volatile int subscribed;
    private volatile boolean stopping;

    /**
     * @param what the queues in words, for logs
     * @param onDelivery takes each delivery, on the client library's consumer thread
     */
    public QueueConsumer(
            Channel channel,
            String what,
            ConsumedQueues queues,
            int prefetch,
            Consumer<Delivery> onDelivery,
            ScheduledExecutorService scheduler) {
        this.channel = channel;
        this.queues = queues;
        this.prefetch = prefetch;
        this.onDelivery = onDelivery;
        this.resubscriber = new Resubscriber(scheduler, what, this::subscribe, () -> stopping);
    }

    public synchronized void start() throws IOException {
        channel.basicQos(prefetch);
        subscribe();
    }

    private synchronized void subscribe() throws IOException {
        cancelConsumers();
        List<String> names = queues.declare(channel);
        for (String queue : names) {
            consumerTags.add(channel.basicConsume(
                    queue,
                    false,
                    "imginject-" + queue + "-" + UUID.randomUUID(),
                    (tag, delivery) -> onDelivery.accept(delivery),
                    this::cancelled));
        }
        subscribed = names.size();
        log.info("consuming {} with prefetch {}", String.join(", ", names), prefetch);
    }

    private void cancelled(String consumerTag) {
        consumerTags.remove(consumerTag);
        resubscriber.cancelled(consumerTag);
    }

    /**
     * Whether it takes deliveries now: started, not stopping, its channel open (not lost with its connection) and a
     * consumer on every queue (none cancelled by the broker and not yet consumed again).
     */
    public boolean consuming() {
        return !stopping && channel.isOpen() && subscribed > 0 && consumerTags.size() == subscribed;
    }

    /** Whether {@link #stop()} was called: deliveries still arriving belong back in the queue. */
    public boolean isStopping() {
        return stopping;
    }

    /** Cancels the consumers, then removes what a clean stop takes off the broker. */
    public synchronized void stop() {
        stopping = true;
        cancelConsumers();
        queues.stopped(channel);
    }

    private void cancelConsumers() {
        for (String tag : consumerTags) {
            try {
                if (channel.isOpen()) {
                    channel.basicCancel(tag);
                }
            } catch (IOException | AlreadyClosedException e) {
                log.warn("could not cancel the consumer {}: {}", tag, e.toString());
            }
        }
        consumerTags.clear();
    }
}
