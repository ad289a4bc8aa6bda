package io.imginject.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One try of one handler at opening the image.
 *
 * @param handler the handler's name
 * @param attempt 1 for the first try of this handler, 2 for its first retry, ...
 * @param outcome ok, failed, or skipped (the handler cannot take this image here)
 * @param code why it failed or was skipped; null when ok
 * @param message what happened; null when ok
 * @param ms how long the attempt took
 * @param filesystem what read the image's filesystem: set when the attempt was ok, null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Attempt(
        String handler,
        int attempt,
        Outcome outcome,
        ErrorCode code,
        String message,
        long ms,
        FilesystemDriver filesystem) {

    /** An attempt that read no filesystem: it failed or was skipped. */
    public Attempt(String handler, int attempt, Outcome outcome, ErrorCode code, String message, long ms) {
        this(handler, attempt, outcome, code, message, ms, null);
    }
}
