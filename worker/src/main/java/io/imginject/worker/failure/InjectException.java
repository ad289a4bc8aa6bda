package io.imginject.worker.failure;

import io.imginject.protocol.ErrorCode;

/**
 * A failure with an {@link ErrorCode} and a message a person can act on. Everything behind the front doors
 * fails this way; the front doors turn it into a reply, an oslo failure or dead-letter headers.
 */
public class InjectException extends RuntimeException {
    private final ErrorCode code;

    public InjectException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public InjectException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
