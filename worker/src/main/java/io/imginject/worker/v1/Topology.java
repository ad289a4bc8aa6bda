package io.imginject.worker.v1;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.QuorumQueues;
import java.io.IOException;
import java.util.Map;

/**
 * What the v1 protocol puts on the broker for one host: the request exchange; the host's quorum queue; the
 * exchange its policy dead-letters to and the host's queue of unanswered requests bound there; the dead-letter
 * exchange and queue. Only what a declaration alone can set is an argument (the queue type, the group size of a new
 * quorum queue); dead-lettering, the delivery limit and overflow come from the policies of
 * {@code deploy/rabbitmq/definitions.json}, which {@link DeadLetteringProbe} checks are there.
 */
public final class Topology {
    private Topology() {}

    /** Declares the host's objects, as every worker does at start; new quorum queues are replicated as {@code quorumQueues} says. */
    public static void declare(Channel channel, String host, QuorumQueues quorumQueues) throws IOException {
        channel.exchangeDeclare(Wire.EXCHANGE, BuiltinExchangeType.TOPIC, true);
        channel.exchangeDeclare(Wire.DEAD_LETTER_EXCHANGE, BuiltinExchangeType.TOPIC, true);
        channel.exchangeDeclare(Wire.UNANSWERED_EXCHANGE, BuiltinExchangeType.DIRECT, true);
        quorumQueues.declare(channel, Wire.DEAD_LETTER_QUEUE, Map.of());
        channel.queueBind(Wire.DEAD_LETTER_QUEUE, Wire.DEAD_LETTER_EXCHANGE, "#");
        quorumQueues.declare(channel, Wire.unansweredQueue(host), Map.of());
        // dead-lettering keeps a request's routing key: inject.<host> as published, imginject.<host> when it was
        // put straight into the host's queue through the default exchange
        channel.queueBind(Wire.unansweredQueue(host), Wire.UNANSWERED_EXCHANGE, Wire.routingKey(host));
        channel.queueBind(Wire.unansweredQueue(host), Wire.UNANSWERED_EXCHANGE, Wire.queue(host));
        quorumQueues.declare(channel, Wire.queue(host), Map.of());
        channel.queueBind(Wire.queue(host), Wire.EXCHANGE, Wire.routingKey(host));
    }

    /**
     * Checks, declaring nothing, that the host's objects are on the broker, as a worker with {@code --no-declare}
     * does for a broker loaded from the definitions: each exchange and queue, each on a channel of its own (the
     * broker closes the channel of a failed check). Bindings cannot be checked over AMQP.
     */
    public static void check(Channel channel, String host) throws IOException {
        PassiveCheck check = new PassiveCheck(channel.getConnection(), host);
        check.exchange(Wire.EXCHANGE);
        check.exchange(Wire.DEAD_LETTER_EXCHANGE);
        check.exchange(Wire.UNANSWERED_EXCHANGE);
        check.queue(Wire.DEAD_LETTER_QUEUE);
        check.queue(Wire.unansweredQueue(host));
        check.queue(Wire.queue(host));
    }
}
