package io.imginject.worker.broker;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Declares durable quorum queues replicated on {@code groupSize} nodes ({@code x-quorum-initial-group-size}; a
 * broker with fewer nodes replicates on all). The size counts only when the queue is made: a queue that exists
 * already is declared with the arguments it was made with, since the broker refuses a declaration whose arguments
 * differ, and so a worker of this version and one of an older version can share a queue either made.
 */
public final class QuorumQueues {
    /** Three nodes: a queue survives the loss of one; a broker of fewer nodes replicates on all. */
    public static final int DEFAULT_GROUP_SIZE = 3;

    private static final String GROUP_SIZE = "x-quorum-initial-group-size";

    private final int groupSize;

    public QuorumQueues(int groupSize) {
        this.groupSize = groupSize;
    }

    /** Declares {@code queue} with {@code arguments} (the queue type among them), adding the group size if it is new. */
    public void declare(Channel channel, String queue, Map<String, Object> arguments) throws IOException {
        Map<String, Object> declared = new HashMap<>(arguments);
        declared.put("x-queue-type", "quorum");
        if (!exists(channel, queue)) {
            declared.put(GROUP_SIZE, groupSize);
        }
        channel.queueDeclare(queue, true, false, false, declared);
    }

    /** A passive declaration on a channel of its own, which the broker closes when the queue is missing. */
    private static boolean exists(Channel channel, String queue) throws IOException {
        Channel probe = channel.getConnection().createChannel();
        try {
            probe.queueDeclarePassive(queue);
            probe.close();
            return true;
        } catch (IOException e) {
            if (probe.isOpen()) {
                throw e;
            }
            return false;
        } catch (TimeoutException e) {
            throw new IOException("closing the channel that checked for queue " + queue + " timed out", e);
        }
    }
}
