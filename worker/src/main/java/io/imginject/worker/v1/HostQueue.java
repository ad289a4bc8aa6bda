package io.imginject.worker.v1;

import com.rabbitmq.client.Channel;
import io.imginject.worker.broker.ConsumedQueues;
import java.io.IOException;
import java.util.List;

/** One of a host's queues, consumed once the host's {@link Topology} is on the broker. Nothing is removed on a stop. */
record HostQueue(String host, String queue, HostObjects objects) implements ConsumedQueues {

    @Override
    public List<String> declare(Channel channel) throws IOException {
        objects.ensure(channel, host);
        return List.of(queue);
    }

    @Override
    public void stopped(Channel channel) {
        // the host's queues hold requests for every worker of the host; they stay
    }
}
