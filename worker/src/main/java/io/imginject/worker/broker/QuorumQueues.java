package io.imginject.worker.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Declares durable quorum queues replicated on {@code groupSize} nodes ({@code x-quorum-initial-group-size}; a
 * broker with fewer nodes replicates on all). The size counts only when the queue is made: the broker refuses a
 * declaration whose arguments differ from the queue's, so a queue an older version made without the size is
 * declared without it, and workers of both versions share it.
 */
public final class QuorumQueues {
    /** Three nodes: a queue survives the loss of one; a broker of fewer nodes replicates on all. */
    public static final int DEFAULT_GROUP_SIZE = 3;

    private static final String GROUP_SIZE = "x-quorum-initial-group-size";

    private final int groupSize;

    public QuorumQueues(int groupSize) {
        this.groupSize = groupSize;
    }

    /** Declares {@code queue} with {@code arguments} (the queue type among them) and the group size, unless the queue was made without one. */
    public void declare(Channel channel, String queue, Map<String, Object> arguments) throws IOException {
        Map<String, Object> declared = new HashMap<>(arguments);
        declared.put("x-queue-type", "quorum");
        Map<String, Object> sized = new HashMap<>(declared);
        sized.put(GROUP_SIZE, groupSize);
        channel.queueDeclare(queue, true, false, false, madeWithoutSize(channel, queue, sized) ? declared : sized);
    }

    /**
     * Declares the sized queue on a channel of its own, which the broker closes when it refuses: whether the queue
     * exists with no group size. A queue that exists with other arguments (an earlier version's dead-letter
     * arguments, another size) fails with a {@link QueueArgumentsException}; any other refusal with the broker's
     * reason.
     */
    private static boolean madeWithoutSize(Channel channel, String queue, Map<String, Object> sized)
            throws IOException {
        Channel probe = channel.getConnection().createChannel();
        try {
            probe.queueDeclare(queue, true, false, false, sized);
            probe.close();
            return false;
        } catch (IOException e) {
            if (e.getCause() instanceof ShutdownSignalException refusal
                    && refusal.getMessage().contains("'" + GROUP_SIZE + "'")
                    && refusal.getMessage().contains("but current is none")) {
                return true;
            }
            if (e.getCause() instanceof ShutdownSignalException refusal
                    && refusal.getReason() instanceof AMQP.Channel.Close close
                    && close.getReplyCode() == AMQP.PRECONDITION_FAILED) {
                throw new QueueArgumentsException(queue, close.getReplyText(), e);
            }
            throw e;
        } catch (TimeoutException e) {
            throw new IOException("closing the channel that declared queue " + queue + " timed out", e);
        }
    }
}
