package io.imginject.worker.pipeline;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import io.imginject.worker.broker.ConsumedQueues;
import io.imginject.worker.broker.QueueConsumer;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** A front door: a consumer whose deliveries go through one pipeline, each on the door's executor. */
final class PipelineDoor implements FrontDoor {
    private final String what;
    private final QueueConsumer consumer;
    private final DeliveryPipeline<?> pipeline;

    PipelineDoor(
            Channel channel,
            String what,
            ConsumedQueues queues,
            int prefetch,
            Executor executor,
            DeliveryPipeline<?> pipeline,
            ScheduledExecutorService scheduler) {
        this.what = what;
        this.pipeline = pipeline;
        this.consumer = new QueueConsumer(
                channel, what, queues, prefetch, delivery -> executor.execute(() -> take(delivery)), scheduler);
    }

    /** Declares what the queues need and starts consuming them. */
    @Override
    public void start() throws IOException {
        consumer.start();
    }

    /** Stops taking requests; running ones finish, reply and are acked; taken ones not yet started go back to their queue. */
    @Override
    public void stop() {
        consumer.stop();
    }

    @Override
    public boolean consuming() {
        return consumer.consuming();
    }

    @Override
    public String what() {
        return what;
    }

    private void take(Delivery delivery) {
        if (consumer.isStopping()) {
            pipeline.giveBack(delivery);
        } else {
            pipeline.handle(delivery);
        }
    }
}
