package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import io.imginject.worker.pipeline.ReplyQueue;
import java.util.Optional;

/**
 * Where a native reply goes: the request's {@code reply_to}, with its correlation id.
 *
 * @param queue the request's {@code reply_to}
 * @param correlationId the request's {@code correlation_id}; a request without one is still answered
 */
record ReplyTo(String queue, Optional<String> correlationId) implements ReplyQueue {

    /** Where a request's reply goes; empty for one without {@code reply_to}, fire and forget. */
    static Optional<ReplyTo> of(AMQP.BasicProperties request) {
        return Optional.ofNullable(request.getReplyTo())
                .map(queue -> new ReplyTo(queue, Optional.ofNullable(request.getCorrelationId())));
    }
}
