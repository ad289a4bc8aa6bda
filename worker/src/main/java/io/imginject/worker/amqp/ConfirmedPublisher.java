package io.imginject.worker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Publishes and waits for the broker's confirm, so a caller acks a request only once its reply or dead-letter
 * copy is safe. Uses a connection of its own (flow control on publishing must not stall acks) and opens a
 * fresh channel when the broker closed the last one.
 */
public final class ConfirmedPublisher implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ConfirmedPublisher.class);
    private final Connection connection;
    private final Duration confirmTimeout;
    private Channel channel;

    public ConfirmedPublisher(Connection connection, Duration confirmTimeout) {
        this.connection = connection;
        this.confirmTimeout = confirmTimeout;
    }

    /**
     * Publishes one message and returns once the broker confirmed it.
     *
     * @throws IOException if the broker nacked it, did not confirm it in time, or the channel failed
     */
    public void publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) throws IOException {
        publish(exchange, routingKey, false, properties, body);
    }

    /**
     * As {@link #publish(String, String, AMQP.BasicProperties, byte[])}, with the mandatory flag: a message no queue
     * takes is returned by the broker, and logged here, instead of silently dropped.
     */
    public synchronized void publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
        Channel open = channel();
        open.basicPublish(exchange, routingKey, mandatory, properties, body);
        try {
            open.waitForConfirmsOrDie(confirmTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a publisher confirm", e);
        } catch (TimeoutException e) {
            throw new IOException("the broker did not confirm within " + confirmTimeout.toMillis() + " ms", e);
        }
    }

    private Channel channel() throws IOException {
        if (channel == null || !channel.isOpen()) {
            channel = connection.createChannel();
            channel.confirmSelect();
            channel.addReturnListener(returned -> log.warn("the broker returned a message for {} (no such queue: its consumer is gone): {}",
                    returned.getRoutingKey(), returned.getReplyText()));
        }
        return channel;
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null && channel.isOpen()) {
            try {
                channel.close();
            } catch (TimeoutException | com.rabbitmq.client.AlreadyClosedException e) {
                // the channel is gone either way
            }
        }
    }
}
