package io.imginject.worker.pipeline;

import io.imginject.worker.deadletter.Origin;
import java.util.Map;
import java.util.Optional;

/**
 * A delivery as its protocol reads it.
 *
 * @param jobId what logs and replies call it
 * @param logContext more log context than the job id (a caller's request id, say)
 * @param replyTo where its reply goes; empty when no one waits for one
 * @param dedupId what its kept reply is found by, with its replay count and body; empty for a request whose reply is
 *     not kept (refused before it could be told apart, or never run)
 * @param origin where it was first published, for its dead-letter copy
 * @param work what it asks for
 */
public record Request<A extends ReplyQueue>(
        String jobId,
        Map<String, String> logContext,
        Optional<A> replyTo,
        Optional<String> dedupId,
        Origin origin,
        Work work) {

    public Request {
        logContext = Map.copyOf(logContext);
    }
}
