package io.imginject.worker.pipeline;

import com.rabbitmq.client.Channel;
import io.imginject.worker.broker.ConsumedQueues;
import io.imginject.worker.broker.DeliveryAcks;
import io.imginject.worker.broker.PublishRetry;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.ReplayCount;
import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.metrics.WorkerMetrics;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** What the pipelines of all of a worker's doors share (kept replies and the claims on them, dead-lettering, replay counts), and its doors. */
public final class Deliveries {
    private final KeptReplies kept;
    private final RequestClaims claims;
    private final DeadLettering deadLetters;
    private final ReplayCount replays;
    private final ScheduledExecutorService scheduler;
    private final PublishRetry retry = new PublishRetry();

    /**
     * @param claims the locks that keep a request to one delivery at a time across the host's workers
     * @param claimWait how long a delivery waits for its twin to finish: the longest a job may run, and a margin
     * @param scheduler where a consumer the broker cancelled is brought back from
     * @param metrics counts the dead letters
     */
    public Deliveries(
            KeptReplies kept,
            SharedLocks claims,
            Duration claimWait,
            DeadLetterPublisher deadLetters,
            ReplayCount replays,
            ScheduledExecutorService scheduler,
            WorkerMetrics metrics) {
        this.kept = kept;
        this.claims = new RequestClaims(claims, claimWait);
        this.deadLetters = new DeadLettering(deadLetters, retry, metrics);
        this.replays = replays;
        this.scheduler = scheduler;
    }

    /**
     * A door that consumes {@code queues} on {@code channel}, which it takes for its own, and puts each delivery
     * through the pipeline with {@code protocol} on {@code executor}.
     *
     * @param what the queues in words, for logs
     * @param prefetch how many deliveries the broker hands the door before it acks one
     */
    public <A extends ReplyQueue> FrontDoor door(
            Channel channel,
            String what,
            ConsumedQueues queues,
            int prefetch,
            Executor executor,
            Protocol<A> protocol) {
        DeliveryPipeline<A> pipeline =
                new DeliveryPipeline<>(protocol, new DeliveryAcks(channel), kept, claims, replays, deadLetters, retry);
        return new PipelineDoor(channel, what, queues, prefetch, executor, pipeline, scheduler);
    }
}
