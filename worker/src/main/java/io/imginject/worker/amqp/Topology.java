package io.imginject.worker.amqp;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import io.imginject.protocol.Wire;
import java.io.IOException;
import java.util.Map;

/**
 * Declares what the v1 protocol puts on the broker for one host: the request exchange, the host's quorum queue
 * (dead-lettering at least once to {@code imginject.dlx}, and after {@value #DELIVERY_LIMIT} deliveries, so a
 * message that keeps crashing workers ends up there instead of looping), and the dead-letter exchange and queue.
 * Declaring is idempotent; every worker does it at start.
 */
public final class Topology {
    /** Deliveries before the broker dead-letters a message no worker managed to finish (crashes, kills). */
    public static final int DELIVERY_LIMIT = 10;

    private Topology() {
    }

    public static void declare(Channel channel, String host) throws IOException {
        channel.exchangeDeclare(Wire.EXCHANGE, BuiltinExchangeType.TOPIC, true);
        channel.exchangeDeclare(Wire.DEAD_LETTER_EXCHANGE, BuiltinExchangeType.TOPIC, true);
        channel.queueDeclare(Wire.DEAD_LETTER_QUEUE, true, false, false, Map.of("x-queue-type", "quorum"));
        channel.queueBind(Wire.DEAD_LETTER_QUEUE, Wire.DEAD_LETTER_EXCHANGE, "#");
        channel.queueDeclare(Wire.queue(host), true, false, false, Map.of(
                "x-queue-type", "quorum",
                "x-dead-letter-exchange", Wire.DEAD_LETTER_EXCHANGE,
                "x-dead-letter-strategy", "at-least-once",
                "x-overflow", "reject-publish",
                "x-delivery-limit", DELIVERY_LIMIT));
        channel.queueBind(Wire.queue(host), Wire.EXCHANGE, Wire.routingKey(host));
    }
}
