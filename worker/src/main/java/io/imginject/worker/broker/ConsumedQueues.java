package io.imginject.worker.broker;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.List;

/** The queues a {@link QueueConsumer} takes from, and what has to be on the broker for them. */
public interface ConsumedQueues {

    /** Declares what the queues need (exchanges, bindings, the queues themselves) and names the queues to consume. */
    List<String> declare(Channel channel) throws IOException;

    /** Removes what a clean stop takes off the broker, once the consumers are cancelled. */
    void stopped(Channel channel);
}
