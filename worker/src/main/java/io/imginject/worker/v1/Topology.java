package io.imginject.worker.v1;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.QuorumQueues;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Declares what the v1 protocol puts on the broker for one host: the request exchange; the host's quorum queue;
 * the dead-letter exchange and queue. The host's queue dead-letters, at least once, to the host's queue of
 * unanswered requests: requests whose AMQP expiration passed while they waited, and requests delivered
 * {@value #DELIVERY_LIMIT} times without a worker finishing them (a request that keeps crashing workers ends there
 * instead of looping). The workers answer those and move them on to the dead-letter queue. Declaring is
 * idempotent; every worker does it at start.
 */
public final class Topology {
    /** Deliveries before the broker dead-letters a message no worker managed to finish (crashes, kills). */
    public static final int DELIVERY_LIMIT = 10;

    private Topology() {}

    /** Declares the host's objects; new quorum queues are replicated as {@code quorumQueues} says. */
    public static void declare(Channel channel, String host, QuorumQueues quorumQueues) throws IOException {
        channel.exchangeDeclare(Wire.EXCHANGE, BuiltinExchangeType.TOPIC, true);
        channel.exchangeDeclare(Wire.DEAD_LETTER_EXCHANGE, BuiltinExchangeType.TOPIC, true);
        quorumQueues.declare(channel, Wire.DEAD_LETTER_QUEUE, Map.of());
        channel.queueBind(Wire.DEAD_LETTER_QUEUE, Wire.DEAD_LETTER_EXCHANGE, "#");
        quorumQueues.declare(channel, Wire.unansweredQueue(host), deadLettering(Wire.DEAD_LETTER_EXCHANGE, Map.of()));
        quorumQueues.declare(
                channel,
                Wire.queue(host),
                deadLettering("", Map.of("x-dead-letter-routing-key", Wire.unansweredQueue(host))));
        channel.queueBind(Wire.queue(host), Wire.EXCHANGE, Wire.routingKey(host));
    }

    /** A quorum queue's arguments for dead-lettering at least once to {@code exchange} after the delivery limit. */
    private static Map<String, Object> deadLettering(String exchange, Map<String, Object> more) {
        Map<String, Object> arguments = new HashMap<>(more);
        arguments.put("x-dead-letter-exchange", exchange);
        arguments.put("x-dead-letter-strategy", "at-least-once");
        arguments.put("x-overflow", "reject-publish");
        arguments.put("x-delivery-limit", DELIVERY_LIMIT);
        return arguments;
    }
}
