package io.imginject.worker.oslo;

import java.time.Duration;

/**
 * How the oslo.messaging front door meets a deployment: the RPC target it serves and the declare flags of the
 * deployment's {@code [oslo_messaging_rabbit]} section, which must match or the broker refuses the declarations.
 *
 * <p>The topic is imginject's own by default. nova-compute's topic {@code compute} is refused unless the
 * operator says no nova-compute runs on the host: a worker there would take nova-compute's RPCs from its own
 * queues, answer nova's calls with {@code NoSuchMethod} and ack its casts, which nova-compute then never sees.
 *
 * @param exchange the control exchange ({@code nova})
 * @param topic the RPC topic ({@value #DEFAULT_TOPIC})
 * @param server the server name, the host part of the {@code topic.server} queue
 * @param durable {@code amqp_durable_queues}: the exchange and the topic queues are durable
 * @param autoDelete {@code amqp_auto_delete}: the exchange and the topic queues are auto-delete
 * @param quorum {@code rabbit_quorum_queue}: the topic queues are durable quorum queues
 * @param transientQueueTtl {@code rabbit_transient_queues_ttl}: how long the fanout queue outlives its consumer
 * @param endpointVersion the version of the {@code inject_data} endpoint (oslo's version rules apply)
 * @param noNovaCompute the operator's word that no nova-compute runs on this host, which topic {@code compute} needs
 */
public record OsloSettings(
        String exchange,
        String topic,
        String server,
        boolean durable,
        boolean autoDelete,
        boolean quorum,
        Duration transientQueueTtl,
        String endpointVersion,
        boolean noNovaCompute) {
    /**
     * imginject's own RPC topic. Not {@code imginject}: its server queue {@code imginject.<host>} would be the native
     * door's queue.
     */
    public static final String DEFAULT_TOPIC = "imginject_rpc";
    /** nova-compute's topic. */
    public static final String NOVA_COMPUTE_TOPIC = "compute";

    public OsloSettings {
        if (!Versions.isValid(endpointVersion)) {
            throw new IllegalArgumentException(
                    "the endpoint version must look like 1.0, not \"" + endpointVersion + "\"");
        }
        if (topic.equals(NOVA_COMPUTE_TOPIC) && !noNovaCompute) {
            throw new IllegalArgumentException(
                    "oslo topic \"compute\" is nova-compute's own: a worker serving it competes with"
                            + " nova-compute for its RPCs (nova's calls get NoSuchMethod, its casts are acked and lost). Keep the default topic "
                            + DEFAULT_TOPIC
                            + ", or set oslo-no-nova-compute=true where no nova-compute runs on this host");
        }
    }
}
