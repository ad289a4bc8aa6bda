package io.imginject.worker.v1;

import com.rabbitmq.client.Channel;
import io.imginject.worker.broker.QuorumQueues;
import java.io.IOException;

/** How a worker makes sure its host's objects ({@link Topology}) are on the broker before it consumes. */
public sealed interface HostObjects {

    void ensure(Channel channel, String host) throws IOException;

    /** The worker declares them, new quorum queues replicated as {@code quorumQueues} says. */
    record Declared(QuorumQueues quorumQueues) implements HostObjects {
        @Override
        public void ensure(Channel channel, String host) throws IOException {
            Topology.declare(channel, host, quorumQueues);
        }
    }

    /** The operator loaded them from the definitions; the worker only checks they are there (--no-declare). */
    record Checked() implements HostObjects {
        @Override
        public void ensure(Channel channel, String host) throws IOException {
            Topology.check(channel, host);
        }
    }
}
