package io.imginject.worker.pipeline;

import java.io.IOException;

/** A way requests reach the job runner: the native v1 protocol, or oslo.messaging RPC. */
public interface FrontDoor {

    /** Declares what the door needs on the broker and starts consuming. */
    void start() throws IOException;

    /** Stops taking new requests; those already taken finish, reply and are acked. */
    void stop();
}
