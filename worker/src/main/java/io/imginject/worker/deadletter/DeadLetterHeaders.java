package io.imginject.worker.deadletter;

import io.imginject.protocol.Wire;
import java.util.HashMap;
import java.util.Map;

/**
 * The headers a dead-lettered request carries, for people and for {@code imginject dlq}. The worker sets them all
 * itself: it takes none of them, nor the broker's {@code x-death} record, from a request, where any publisher may
 * have put them.
 */
public final class DeadLetterHeaders {
    /** Why the job failed: an error code such as {@code malformed_message}. */
    public static final String ERROR_CODE = "x-imginject-error-code";
    /** What went wrong, in words. */
    public static final String ERROR_MESSAGE = "x-imginject-error-message";
    /** The handlers that tried to open the image, comma-separated, in order. */
    public static final String HANDLERS_TRIED = "x-imginject-handlers-tried";
    /** How often the request was replayed from the dead-letter queue; absent for the first run. */
    public static final String REPLAYS = "x-imginject-replays";
    /** On a replayed request: the seal of its replay count, without which a worker counts it as a first run. */
    public static final String REPLAY_SEAL = "x-imginject-replay-seal";
    /** That the letter's body is sealed, and how: {@value #SEALED_VERSION}. */
    public static final String SEALED = "x-imginject-sealed";
    /** The seal this version makes: AES-256-GCM, with the headers replay trusts as associated data. */
    public static final String SEALED_VERSION = "v1";
    /** The id of the dead-letter key the letter is sealed with. */
    public static final String SEAL_KEY = "x-imginject-seal-key";
    /** The worker host that gave up on the request. */
    public static final String HOST = "x-imginject-host";
    /** When, in ISO-8601 UTC. */
    public static final String FAILED_AT = "x-imginject-failed-at";
    /** The exchange the request was first published to. */
    public static final String ORIGINAL_EXCHANGE = "x-original-exchange";
    /** The routing key it was first published with; replay publishes it there again. */
    public static final String ORIGINAL_ROUTING_KEY = "x-original-routing-key";
    /** The request's own AMQP expiration, removed from the copy so it does not expire in the dead-letter queue. */
    public static final String ORIGINAL_EXPIRATION = "x-original-expiration";

    private DeadLetterHeaders() {}

    /**
     * {@code headers} without the worker's bookkeeping: every {@code x-imginject-*} header but
     * {@value Wire#DEADLINE_HEADER}, every {@code x-original-*}, and the broker's {@code x-death},
     * {@code x-first-death-*} and {@code x-last-death-*}.
     */
    public static Map<String, Object> withoutBookkeeping(Map<String, Object> headers) {
        Map<String, Object> kept = new HashMap<>(headers == null ? Map.of() : headers);
        kept.keySet().removeIf(DeadLetterHeaders::isBookkeeping);
        return kept;
    }

    private static boolean isBookkeeping(String name) {
        return (name.startsWith("x-imginject-") && !name.equals(Wire.DEADLINE_HEADER))
                || name.startsWith("x-original-")
                || name.equals("x-death")
                || name.startsWith("x-first-death-")
                || name.startsWith("x-last-death-");
    }
}
