package io.imginject.worker.broker;

import com.rabbitmq.client.AMQP;
import java.io.IOException;

/** Publishes a message and returns once the broker confirmed it, so that the caller may then ack what it answers. */
public interface Publisher {

    /**
     * Publishes {@code body} and waits for the broker's confirm.
     *
     * @throws IOException if the broker did not confirm it in time, or the channel failed; {@link PublishNackedException}
     *     if the broker nacked it; {@link PublishRefusedException} if it can never be published as it is
     */
    void publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) throws IOException;
}
