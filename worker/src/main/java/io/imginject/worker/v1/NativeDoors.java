package io.imginject.worker.v1;

import com.rabbitmq.client.Channel;
import io.imginject.protocol.RequestLimits;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.pipeline.Deliveries;
import io.imginject.worker.pipeline.FrontDoor;
import java.time.Clock;
import java.util.concurrent.Executor;

/** The native v1 protocol's two doors, each on a channel of its own: the host's requests, and those the broker left unanswered. */
public final class NativeDoors {
    /** Unanswered requests are only answered, never run: a few at once keep the queue moving. */
    private static final int UNANSWERED_PREFETCH = 8;

    private NativeDoors() {}

    /** The host's queue, with a prefetch of the worker's concurrency; each request runs as a job on {@code jobs}. */
    public static FrontDoor requests(
            Deliveries deliveries,
            Channel channel,
            String host,
            HostObjects objects,
            int concurrency,
            Executor jobs,
            JobRunner runner,
            ConfirmedPublisher publisher,
            RequestLimits limits,
            Clock clock) {
        return deliveries.door(
                channel,
                Wire.queue(host),
                new HostQueue(host, Wire.queue(host), objects),
                concurrency,
                jobs,
                new NativeProtocol(host, runner, new NativeReplies(publisher, host), limits, clock));
    }

    /** The host's queue of requests the broker dead-lettered unanswered, answered on the consumer's own thread. */
    public static FrontDoor unanswered(
            Deliveries deliveries, Channel channel, String host, HostObjects objects, ConfirmedPublisher publisher) {
        return deliveries.door(
                channel,
                Wire.unansweredQueue(host),
                new HostQueue(host, Wire.unansweredQueue(host), objects),
                UNANSWERED_PREFETCH,
                Runnable::run,
                new UnansweredProtocol(host, new NativeReplies(publisher, host)));
    }
}
