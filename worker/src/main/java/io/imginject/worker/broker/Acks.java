package io.imginject.worker.broker;

import com.rabbitmq.client.Delivery;

/** How a consumer settles a delivery with the broker once it is done with it. */
public interface Acks {

    /** The request is done: its outcome is published and confirmed. */
    void ack(Delivery delivery);

    /** The request could not be finished: back to the queue, to run again. */
    void requeue(Delivery delivery);
}
