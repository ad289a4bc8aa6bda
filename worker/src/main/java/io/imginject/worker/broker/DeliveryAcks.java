package io.imginject.worker.broker;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles deliveries of one channel from the job threads. When the channel has closed meanwhile there is nothing
 * to settle: the broker delivers the message again, which the idempotent jobs allow.
 */
public final class DeliveryAcks implements Acks {
    private static final Logger log = LoggerFactory.getLogger(DeliveryAcks.class);

    private final Channel channel;

    public DeliveryAcks(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void ack(Delivery delivery) {
        try {
            channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
        } catch (IOException | AlreadyClosedException e) {
            log.warn("could not ack (the channel closed); the broker will deliver the request again: {}", e.toString());
        }
    }

    @Override
    public void requeue(Delivery delivery) {
        try {
            channel.basicNack(delivery.getEnvelope().getDeliveryTag(), false, true);
        } catch (IOException | AlreadyClosedException e) {
            log.warn(
                    "could not requeue (the channel closed); the broker will deliver the request again: {}",
                    e.toString());
        }
    }
}
