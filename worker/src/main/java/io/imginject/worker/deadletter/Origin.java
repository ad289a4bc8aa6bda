package io.imginject.worker.deadletter;

import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.BrokerDeath;
import java.util.Optional;

/**
 * Where a request was first published, as the worker knows it rather than as the request says: a replay publishes
 * it there again.
 *
 * @param exchange the exchange it was published to
 * @param routingKey the routing key it was published with
 * @param expiration its own AMQP expiration, where it had one
 */
public record Origin(String exchange, String routingKey, Optional<String> expiration) {

    /** A request as the broker delivered it from the queue it was published to: its envelope says where from. */
    public static Origin of(Delivery delivery) {
        return new Origin(delivery.getEnvelope().getExchange(), delivery.getEnvelope().getRoutingKey(),
                Optional.ofNullable(delivery.getProperties().getExpiration()));
    }

    /**
     * A request taken from {@code host}'s queue of unanswered requests. The broker dead-letters there only what
     * waited in the host's queue, so its origin is pinned to the request exchange and {@code inject.<host>}, which
     * route to that queue. Its {@code x-death} record is not trusted for it: anyone may publish into the queue of
     * unanswered requests straight through the default exchange, with an {@code x-death} header of their own
     * making. The record gives only the expiration, which the broker removes from an expired message.
     */
    public static Origin unanswered(String host, Delivery delivery) {
        Optional<String> expiration = Optional.ofNullable(delivery.getProperties().getExpiration())
                .or(() -> BrokerDeath.latest(delivery.getProperties().getHeaders()).flatMap(BrokerDeath::originalExpiration));
        return new Origin(Wire.EXCHANGE, Wire.routingKey(host), expiration);
    }
}
