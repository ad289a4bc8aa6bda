package io.imginject.protocol;

import java.util.List;

/** A message that is not a valid v1 request. Carries the error code and, for schema errors, every problem. */
public final class RequestRejectedException extends Exception {
    private final ErrorCode code;
    private final List<Problem> problems;

    public RequestRejectedException(ErrorCode code, String message, List<Problem> problems) {
        super(message);
        this.code = code;
        this.problems = List.copyOf(problems);
    }

    public RequestRejectedException(ErrorCode code, String message) {
        this(code, message, List.of());
    }

    public ErrorCode code() {
        return code;
    }

    public List<Problem> problems() {
        return problems;
    }
}
