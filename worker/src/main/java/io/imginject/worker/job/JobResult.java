package io.imginject.worker.job;

import io.imginject.protocol.InjectionReply;
import java.util.Optional;

/**
 * What running a job produced.
 *
 * @param reply the reply for the requester
 * @param failureClass for a failed job, the class of the exception that failed it, for dead-letter headers
 */
public record JobResult(InjectionReply reply, Optional<String> failureClass) {
}
