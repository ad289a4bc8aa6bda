package io.imginject.worker.pipeline;

import com.rabbitmq.client.Delivery;

/**
 * What one protocol contributes to the {@link DeliveryPipeline}: reading a delivery into a request, and its
 * {@link Replies}. Everything else (acks, kept replies, dead-lettering, retries, requeueing, log context) is the
 * pipeline's.
 *
 * @param <A> where the protocol's replies go
 */
public interface Protocol<A extends ReplyQueue> {

    /**
     * Reads a delivery: what it asks for, or, for one refused as it came, work that only answers with the refusal.
     * Never throws for anything a publisher sent.
     */
    Request<A> read(Delivery delivery);

    Replies<A> replies();

    /**
     * Whether a request whose twin (the same dedup id) is running in this process is dropped, acked without an answer,
     * as oslo.messaging does, rather than run as well; by default it runs as well, and is answered from the kept
     * reply where the first one's is kept by then.
     */
    default boolean dropsDuplicatesInFlight() {
        return false;
    }
}
