package io.imginject.worker.amqp;

/** The headers a dead-lettered request carries, for people and for {@code imginject dlq}. */
public final class DeadLetterHeaders {
    /** Why the job failed: an error code such as {@code malformed_message}. */
    public static final String ERROR_CODE = "x-imginject-error-code";
    /** What went wrong, in words. */
    public static final String ERROR_MESSAGE = "x-imginject-error-message";
    /** The class of the exception that failed the job, where there was one. */
    public static final String EXCEPTION_CLASS = "x-imginject-exception-class";
    /** The handlers that tried to open the image, comma-separated, in order. */
    public static final String HANDLERS_TRIED = "x-imginject-handlers-tried";
    /** How often the request was replayed from the dead-letter queue; absent for the first run. */
    public static final String REPLAYS = "x-imginject-replays";
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

    private DeadLetterHeaders() {
    }
}
