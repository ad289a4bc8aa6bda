package io.imginject.worker.oslo;

import com.rabbitmq.client.Channel;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.pipeline.Deliveries;
import io.imginject.worker.pipeline.FrontDoor;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** The oslo.messaging door. */
public final class OsloDoors {
    private OsloDoors() {}

    /**
     * An RPC server for {@code Target(topic, server)} that an unmodified {@code RPCClient} calls as it calls
     * nova-compute, on a channel of its own: it serves {@code inject_data} (the endpoint version is configurable) and
     * {@code baseapi}'s {@code ping}, each call on {@code jobs}, with a prefetch of the worker's concurrency.
     *
     * @param heartbeats where call-monitor heartbeats are sent from
     */
    public static FrontDoor rpcServer(
            Deliveries deliveries,
            Channel channel,
            OsloSettings settings,
            int concurrency,
            Executor jobs,
            JobRunner runner,
            ConfirmedPublisher publisher,
            RequestLimits limits,
            ScheduledExecutorService heartbeats) {
        RpcDispatcher dispatcher = new RpcDispatcher(List.of(
                new InjectDataEndpoint(runner, settings.endpointVersion(), limits),
                new BaseApiEndpoint(settings.topic())));
        return deliveries.door(
                channel,
                "the oslo queues of " + settings.topic() + "." + settings.server(),
                new OsloTopology(settings),
                concurrency,
                jobs,
                new OsloProtocol(dispatcher, new OsloReplier(publisher), limits, heartbeats));
    }
}
