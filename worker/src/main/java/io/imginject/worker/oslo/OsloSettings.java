package io.imginject.worker.oslo;

import java.time.Duration;

/**
 * How the oslo.messaging front door meets a deployment: the RPC target it serves and the declare flags of the
 * deployment's {@code [oslo_messaging_rabbit]} section, which must match or the broker refuses the declarations.
 *
 * @param exchange the control exchange ({@code nova})
 * @param topic the RPC topic ({@code compute})
 * @param server the server name, the host part of the {@code topic.server} queue
 * @param durable {@code amqp_durable_queues}: the exchange and the topic queues are durable
 * @param autoDelete {@code amqp_auto_delete}: the exchange and the topic queues are auto-delete
 * @param quorum {@code rabbit_quorum_queue}: the topic queues are durable quorum queues
 * @param transientQueueTtl {@code rabbit_transient_queues_ttl}: how long the fanout queue outlives its consumer
 * @param endpointVersion the version of the {@code inject_data} endpoint (oslo's version rules apply)
 */
public record OsloSettings(String exchange, String topic, String server, boolean durable, boolean autoDelete, boolean quorum,
        Duration transientQueueTtl, String endpointVersion) {

    /** oslo.messaging's defaults, with nova's exchange and topic, serving {@code server}. */
    public static OsloSettings defaults(String server) {
        return new OsloSettings("nova", "compute", server, false, false, false, Duration.ofMinutes(30), "1.0");
    }

    public OsloSettings {
        if (!Versions.isValid(endpointVersion)) {
            throw new IllegalArgumentException("the endpoint version must look like 1.0, not \"" + endpointVersion + "\"");
        }
    }
}
