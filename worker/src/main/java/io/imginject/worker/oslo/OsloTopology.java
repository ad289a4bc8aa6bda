package io.imginject.worker.oslo;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;

/**
 * Declares what an oslo.messaging RPC server with {@code Target(topic, server)} declares, with the same flags,
 * so the deployment's clients and servers find the objects they expect: the topic exchange, the shared
 * {@code topic} queue and the {@code topic.server} queue, the {@code topic_fanout} exchange and a fanout queue of
 * this process's own.
 */
final class OsloTopology {
    private OsloTopology() {
    }

    /** The queues declared, to consume. */
    record Queues(String topic, String server, String fanout) {
    }

    static Queues declare(Channel channel, OsloSettings settings) throws IOException {
        boolean durable = settings.durable() || settings.quorum();
        Map<String, Object> arguments = settings.quorum() ? Map.of("x-queue-type", "quorum") : Map.of();
        channel.exchangeDeclare(settings.exchange(), BuiltinExchangeType.TOPIC, durable, settings.autoDelete(), null);
        String topic = settings.topic();
        String server = topic + "." + settings.server();
        for (String queue : new String[] {topic, server}) {
            channel.queueDeclare(queue, durable, false, settings.autoDelete(), arguments);
            channel.queueBind(queue, settings.exchange(), queue);
        }
        String fanoutExchange = topic + "_fanout";
        channel.exchangeDeclare(fanoutExchange, BuiltinExchangeType.FANOUT, false, true, null);
        String fanout = fanoutExchange + "_" + UUID.randomUUID().toString().replace("-", "");
        channel.queueDeclare(fanout, false, false, false, Map.of("x-expires", (int) settings.transientQueueTtl().toMillis()));
        channel.queueBind(fanout, fanoutExchange, topic);
        return new Queues(topic, server, fanout);
    }
}
