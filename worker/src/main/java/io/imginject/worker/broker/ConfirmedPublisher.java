package io.imginject.worker.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes and waits for the broker's confirm, so a caller removes a message (acks a request, a dead letter) only
 * once its reply or copy is safe. Opens a fresh channel when the broker closed the last one. The worker gives it a
 * connection of its own, so that flow control on publishing cannot stall acks.
 */
public final class ConfirmedPublisher implements Publisher, AutoCloseable {
    private final Connection connection;
    private final Duration confirmTimeout;
    private final AtomicReference<String> returned = new AtomicReference<>();
    private Channel channel;

    public ConfirmedPublisher(Connection connection, Duration confirmTimeout) {
        this.connection = connection;
        this.confirmTimeout = confirmTimeout;
    }

    @Override
    public synchronized void publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
        publish(exchange, routingKey, false, properties, body);
    }

    /**
     * As {@link #publish(String, String, AMQP.BasicProperties, byte[])}, but mandatory: a message no queue takes is
     * returned by the broker instead of silently dropped.
     *
     * @return empty when a queue took the message, else the broker's reason ({@code NO_ROUTE for <exchange> <key>})
     */
    public synchronized Optional<String> publishMandatory(
            String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) throws IOException {
        returned.set(null);
        publish(exchange, routingKey, true, properties, body);
        return Optional.ofNullable(returned.getAndSet(null));
    }

    /**
     * @throws PublishRefusedException when the client cannot encode the message or the broker closes the channel over
     *     it: the same message would fail again
     */
    private synchronized void publish(
            String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
        Channel open = channel();
        try {
            open.basicPublish(exchange, routingKey, mandatory, properties, body);
        } catch (IllegalArgumentException e) {
            // the client counted the message for confirms before it failed to encode it; no confirm will ever come for
            // it
            discard(open);
            throw PublishRefusedException.byClient(e);
        } catch (ShutdownSignalException e) {
            throw PublishRefusedException.byBroker(e).orElseThrow(() -> e);
        }
        boolean acked;
        try {
            // the broker sends a return before the confirm, so once this returns the return listener has run
            acked = open.waitForConfirms(confirmTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a publisher confirm", e);
        } catch (TimeoutException e) {
            discard(open);
            throw new IOException("the broker did not confirm within " + confirmTimeout.toMillis() + " ms", e);
        } catch (ShutdownSignalException e) {
            throw PublishRefusedException.byBroker(e).orElseThrow(() -> e);
        }
        if (!acked) {
            throw new PublishNackedException(
                    "the broker nacked it: the queue it went to refused it (full, with x-overflow"
                            + " reject-publish) or could not store it");
        }
    }

    private void discard(Channel broken) {
        channel = null;
        try {
            broken.abort();
        } catch (IOException | AlreadyClosedException e) {
            // it is dropped either way
        }
    }

    private Channel channel() throws IOException {
        if (channel == null || !channel.isOpen()) {
            channel = connection.createChannel();
            channel.confirmSelect();
            channel.addReturnListener(
                    r -> returned.set(r.getReplyText() + " for " + r.getExchange() + " " + r.getRoutingKey()));
        }
        return channel;
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null && channel.isOpen()) {
            try {
                channel.close();
            } catch (TimeoutException | AlreadyClosedException e) {
                // the channel is gone either way
            }
        }
    }
}
