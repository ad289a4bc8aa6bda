package io.imginject.worker.pipeline;

import io.imginject.worker.deadletter.DeadLetterReason;
import java.util.Optional;

/**
 * How a request failed, as far as the pipeline acts on it.
 *
 * @param name the failure as the protocol names it ({@code image_not_found}, {@code ImageNotFound}), for messages
 * @param mayPass whether the same request may succeed later: its reply is then not kept as the answer
 * @param deadLetter why the request is dead-lettered, where its protocol dead-letters this failure
 */
public record Failure(String name, boolean mayPass, Optional<DeadLetterReason> deadLetter) {}
