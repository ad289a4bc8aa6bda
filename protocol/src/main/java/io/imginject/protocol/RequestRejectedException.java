package io.imginject.protocol;

import java.util.List;

/**
 * A message that is not a valid v1 request. Carries the error code and, for schema errors, the first problems and
 * how many there are in all.
 */
public final class RequestRejectedException extends Exception {
    private final ErrorCode code;
    private final List<Problem> problems;
    private final int problemCount;

    /**
     * @param problems the problems listed (the first ones)
     * @param problemCount how many problems there are in all, at least as many as listed
     */
    public RequestRejectedException(ErrorCode code, String message, List<Problem> problems, int problemCount) {
        super(message);
        this.code = code;
        this.problems = List.copyOf(problems);
        this.problemCount = Math.max(problemCount, problems.size());
    }

    public RequestRejectedException(ErrorCode code, String message) {
        this(code, message, List.of(), 0);
    }

    public ErrorCode code() {
        return code;
    }

    /** The problems listed: all, or the first {@value RequestDecoder#MAX_PROBLEMS}. */
    public List<Problem> problems() {
        return problems;
    }

    /** How many problems the request has in all. */
    public int problemCount() {
        return problemCount;
    }
}
