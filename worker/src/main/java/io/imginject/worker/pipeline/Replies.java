package io.imginject.worker.pipeline;

import java.io.IOException;

/** How a protocol's replies are sent, and the small failure that stands for one the broker refused. */
public interface Replies<A extends ReplyQueue> {

    /** Publishes {@code reply} to {@code to} once and waits for the broker's confirm; the pipeline retries. */
    void send(A to, String jobId, byte[] reply) throws IOException;

    /** The small {@code reply_refused} failure that stands for a reply the broker or the client refused; {@code message} says why. */
    byte[] replyRefused(A to, String jobId, String message);
}
