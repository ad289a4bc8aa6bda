package io.imginject.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What became of one injection item.
 *
 * @param status ok, failed or skipped
 * @param code why it failed; null unless failed
 * @param message what happened, for a person (e.g. "key already present", "/.autorelabel created")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ItemResult(Outcome status, ErrorCode code, String message) {

    public static ItemResult ok(String message) {
        return new ItemResult(Outcome.OK, null, message);
    }

    public static ItemResult failed(ErrorCode code, String message) {
        return new ItemResult(Outcome.FAILED, code, message);
    }

    public static ItemResult skipped(String message) {
        return new ItemResult(Outcome.SKIPPED, null, message);
    }

    @JsonIgnore
    public boolean isFailed() {
        return status == Outcome.FAILED;
    }
}
