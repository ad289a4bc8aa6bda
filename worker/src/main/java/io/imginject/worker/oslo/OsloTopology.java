package io.imginject.worker.oslo;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import io.imginject.worker.broker.ConsumedQueues;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Declares what an oslo.messaging RPC server with {@code Target(topic, server)} declares, with the same flags,
 * so the deployment's clients and servers find the objects they expect: the topic exchange, the shared
 * {@code topic} queue and the {@code topic.server} queue, the {@code topic_fanout} exchange and a fanout queue of
 * this process's own, which a clean stop deletes, as oslo does.
 */
final class OsloTopology implements ConsumedQueues {
    private static final Logger log = LoggerFactory.getLogger(OsloTopology.class);

    private final OsloSettings settings;
    private volatile String fanout;

    OsloTopology(OsloSettings settings) {
        this.settings = settings;
    }

    @Override
    public List<String> declare(Channel channel) throws IOException {
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
        String ownFanout = fanoutExchange + "_" + UUID.randomUUID().toString().replace("-", "");
        channel.queueDeclare(ownFanout, false, false, false, Map.of("x-expires", (int)
                settings.transientQueueTtl().toMillis()));
        channel.queueBind(ownFanout, fanoutExchange, topic);
        fanout = ownFanout;
        log.info(
                "serving oslo.messaging RPC on exchange {} as {} (queues {}, {}, {})",
                settings.exchange(),
                server,
                topic,
                server,
                ownFanout);
        return List.of(topic, server, ownFanout);
    }

    @Override
    public void stopped(Channel channel) {
        String declared = fanout;
        if (declared == null) {
            return;
        }
        try {
            channel.queueDelete(declared);
        } catch (IOException | AlreadyClosedException e) {
            log.warn("could not delete the fanout queue {}: {}", declared, e.toString());
        }
    }
}
