package io.imginject.worker.pipeline;

import java.io.IOException;

/**
 * A way requests reach the worker: the native v1 protocol's queue, its queue of requests the broker left unanswered,
 * or oslo.messaging RPC. Each is a consumer whose deliveries go through the {@link DeliveryPipeline}.
 */
public interface FrontDoor {

    /** Declares what the door needs on the broker and starts consuming. */
    void start() throws IOException;

    /** Stops taking new requests; those already taken finish, reply and are acked. */
    void stop();

    /** Whether it takes requests now: consuming every queue of the door on an open channel. */
    boolean consuming();

    /** Its queues in words, for the operator. */
    String what();
}
