package io.imginject.protocol;

import java.util.Optional;
import java.util.regex.Pattern;

/** Names on the broker that the v1 protocol fixes. */
public final class Wire {
    /** Durable topic exchange that requests are published to. */
    public static final String EXCHANGE = "imginject";
    /** Exchange that failed and malformed requests are dead-lettered to. */
    public static final String DEAD_LETTER_EXCHANGE = "imginject.dlx";
    /** Queue that holds dead-lettered requests until an operator replays or purges them. */
    public static final String DEAD_LETTER_QUEUE = "imginject.dead";
    /** Queue that jobs replayed too often are moved to, out of the replay loop. */
    public static final String PARKING_LOT_QUEUE = "imginject.parking";
    /**
     * Direct exchange the host queues' policy dead-letters to, with the request's own routing key; each host's queue
     * of unanswered requests is bound to it with {@code inject.<host>} and {@code imginject.<host>}.
     */
    public static final String UNANSWERED_EXCHANGE = "imginject.unanswered";

    public static final String CONTENT_TYPE = "application/json";
    /** Request header: the time after which the job must not start, as epoch milliseconds or an ISO-8601 instant. */
    public static final String DEADLINE_HEADER = "x-imginject-deadline";

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*");

    private Wire() {}

    /** The routing key that reaches the workers of {@code host}. */
    public static String routingKey(String host) {
        return "inject." + host;
    }

    /** The queue the workers of {@code host} consume. */
    public static String queue(String host) {
        return "imginject." + host;
    }

    /**
     * The queue the broker dead-letters the requests of {@code host} to when they expire there or reach the delivery
     * limit unanswered; the host's workers answer them from it. No host's request queue can have this name.
     */
    public static String unansweredQueue(String host) {
        return "imginject-unanswered." + host;
    }

    /** What is wrong with {@code host} as a worker host name (it becomes part of a routing key), if anything. */
    public static Optional<String> problemWithHost(String host) {
        if (host == null || !HOST.matcher(host).matches() || host.length() > 200) {
            return Optional.of("host \"" + host + "\" must be letters, digits, '-', '_' and dots between them"
                    + " (it becomes the routing key inject.<host>; '*' and '#' are not allowed)");
        }
        if (queue(host).equals(DEAD_LETTER_QUEUE) || queue(host).equals(PARKING_LOT_QUEUE)) {
            return Optional.of("host \"" + host + "\" is reserved: its queue would be " + queue(host)
                    + ", where failed requests are kept");
        }
        return Optional.empty();
    }
}
