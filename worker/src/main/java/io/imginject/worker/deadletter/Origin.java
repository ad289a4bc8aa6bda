package io.imginject.worker.deadletter;

import com.rabbitmq.client.Delivery;
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
        return new Origin(
                delivery.getEnvelope().getExchange(),
                delivery.getEnvelope().getRoutingKey(),
                Optional.ofNullable(delivery.getProperties().getExpiration()));
    }
}
