package io.imginject.worker.pipeline;

/** Where a protocol sends a request's reply: at least a queue, which the pipeline names when the reply is refused. */
public interface ReplyQueue {

    String queue();
}
