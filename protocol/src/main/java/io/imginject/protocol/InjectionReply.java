package io.imginject.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The worker's answer to a request, published to its {@code reply_to} with its {@code correlation_id}.
 *
 * @param v the protocol version, 1
 * @param status ok, or error when the job failed (then {@code error} says why)
 * @param jobId the job id (the request's message_id, else its correlation_id)
 * @param host the worker host that ran the job
 * @param handler the handler that opened the image; null if none did
 * @param items the result of each requested item, by item name
 * @param attempts every handler attempt, in order
 * @param error why the job failed; null when ok
 * @param durationMs how long the job took on the worker
 */
public record InjectionReply(
        int v,
        Status status,
        String jobId,
        String host,
        String handler,
        Map<String, ItemResult> items,
        List<Attempt> attempts,
        ErrorInfo error,
        long durationMs) {

    public InjectionReply {
        items = items == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(items));
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** The reply for a job that failed before any handler opened the image. */
    public static InjectionReply failure(String jobId, String host, ErrorInfo error, long durationMs) {
        return new InjectionReply(1, Status.ERROR, jobId, host, null, Map.of(), List.of(), error, durationMs);
    }

    @JsonIgnore
    public boolean isOk() {
        return status == Status.OK;
    }

    /** Whether the job as a whole succeeded. */
    public enum Status {
        OK,
        ERROR;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Status fromWireName(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }
}
