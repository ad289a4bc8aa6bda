package io.imginject.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Why a job failed.
 *
 * @param code the failure, from the fixed list in {@link ErrorCode}
 * @param message what went wrong, specific to this job, for a person to act on
 * @param retryable whether sending the same request again may succeed
 * @param problems for {@link ErrorCode#INVALID_REQUEST}: every problem, each at its JSON path
 */
public record ErrorInfo(
        ErrorCode code,
        String message,
        boolean retryable,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Problem> problems) {

    public ErrorInfo {
        problems = problems == null ? List.of() : List.copyOf(problems);
    }

    public static ErrorInfo of(ErrorCode code, String message) {
        return new ErrorInfo(code, message, code.isTransient(), List.of());
    }
}
