package io.imginject.worker.dlq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.Wire;
import io.imginject.worker.amqp.DeadLetterHeaders;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The operator's view of {@code imginject.dead}: read without removing, replay, purge. Every pass takes the messages
 * waiting when it starts, holding them unacked while it works so none is seen twice; what it does not take goes
 * back when its channel closes. A replayed or parked copy is published mandatory and with a confirm, and the original
 * leaves the queue only once its copy is confirmed and was not returned as unroutable, so a crash mid-replay loses
 * nothing (at worst one message is replayed twice, which jobs allow).
 */
public final class DeadLetterQueue {
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    private static final List<String> FAILURE_HEADERS = List.of(DeadLetterHeaders.ERROR_CODE, DeadLetterHeaders.ERROR_MESSAGE,
            DeadLetterHeaders.EXCEPTION_CLASS, DeadLetterHeaders.HANDLERS_TRIED, DeadLetterHeaders.HOST, DeadLetterHeaders.FAILED_AT,
            "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason", "x-last-death-exchange",
            "x-last-death-queue", "x-last-death-reason");

    private final Connection connection;

    public DeadLetterQueue(Connection connection) {
        this.connection = connection;
    }

    /** What a pass did, message by message. */
    public interface Progress {
        void taken(DeadLetter letter, String what);

        void scanned(int done, int total);
    }

    /** The totals of a pass. */
    public record Summary(int scanned, int matched, int replayed, int parked, int purged, int skipped) {
    }

    /** The matching messages, at most {@code limit}, left in the queue. */
    public List<DeadLetter> browse(Predicate<DeadLetter> filter, int limit) throws IOException, TimeoutException {
        List<DeadLetter> matched = new ArrayList<>();
        try (Channel channel = connection.createChannel()) {
            long waiting = waiting(channel);
            for (long i = 0; i < waiting && matched.size() < limit; i++) {
                GetResponse response = channel.basicGet(Wire.DEAD_LETTER_QUEUE, false);
                if (response == null) {
                    break;
                }
                DeadLetter letter = DeadLetter.of(response);
                if (filter.test(letter)) {
                    matched.add(letter);
                }
            }
        }
        return matched;
    }

    /**
     * Republishes the matching messages, at most {@code limit}, to where they were first published (or to host
     * {@code toHost}), counting the replay in {@code x-imginject-replays}; a message replayed {@code maxReplays}
     * times already goes to the parking lot instead. With {@code dryRun} nothing changes.
     */
    public Summary replay(Predicate<DeadLetter> filter, int limit, Optional<String> toHost, int maxReplays, boolean dryRun, Progress progress)
            throws IOException, TimeoutException {
        return pass(filter, limit, dryRun, progress, (letter, publisher) -> {
            if (letter.replays() >= maxReplays) {
                if (!dryRun) {
                    publisher.basicPublish("", Wire.PARKING_LOT_QUEUE, true, letter.properties(), letter.body());
                }
                return "parked (replayed " + letter.replays() + " times already)";
            }
            Optional<String> exchange = toHost.isPresent() ? Optional.of(Wire.EXCHANGE) : letter.originalExchange();
            Optional<String> routingKey = toHost.map(Wire::routingKey).or(letter::originalRoutingKey);
            if (exchange.isEmpty() || routingKey.isEmpty()) {
                return null;
            }
            if (toHost.isPresent() && !letter.originalExchange().map(Wire.EXCHANGE::equals).orElse(false)) {
                return null;
            }
            if (!dryRun) {
                publisher.basicPublish(exchange.get(), routingKey.get(), true, replayed(letter), letter.body());
            }
            return "replayed to " + (exchange.get().isEmpty() ? "(default)" : exchange.get()) + " " + routingKey.get();
        });
    }

    /** Removes the matching messages, at most {@code limit}. With {@code dryRun} nothing changes. */
    public Summary purge(Predicate<DeadLetter> filter, int limit, boolean dryRun, Progress progress) throws IOException, TimeoutException {
        return pass(filter, limit, dryRun, progress, (letter, publisher) -> "purged");
    }

    /** What a pass does with one matching message: publishes its copy if any, says what it did; null to leave it. */
    private interface Action {
        String apply(DeadLetter letter, Channel publisher) throws IOException;
    }

    private Summary pass(Predicate<DeadLetter> filter, int limit, boolean dryRun, Progress progress, Action action)
            throws IOException, TimeoutException {
        int scanned = 0;
        int matched = 0;
        int replayed = 0;
        int parked = 0;
        int purged = 0;
        int skipped = 0;
        try (Channel channel = connection.createChannel(); Channel publisher = connection.createChannel()) {
            publisher.confirmSelect();
            java.util.concurrent.atomic.AtomicReference<String> returned = new java.util.concurrent.atomic.AtomicReference<>();
            publisher.addReturnListener(r -> returned.set(r.getReplyText() + " for " + r.getExchange() + " " + r.getRoutingKey()));
            publisher.queueDeclare(Wire.PARKING_LOT_QUEUE, true, false, false, Map.of("x-queue-type", "quorum"));
            long waiting = waiting(channel);
            for (long i = 0; i < waiting && matched < limit; i++) {
                GetResponse response = channel.basicGet(Wire.DEAD_LETTER_QUEUE, false);
                if (response == null) {
                    break;
                }
                scanned++;
                DeadLetter letter = DeadLetter.of(response);
                if (filter.test(letter)) {
                    matched++;
                    returned.set(null);
                    String done = action.apply(letter, publisher);
                    if (done != null && !dryRun) {
                        confirm(publisher);
                    }
                    if (done == null || returned.get() != null) {
                        skipped++;
                        progress.taken(letter, "skipped: " + (done == null ? "no place to replay it to" : "no queue took the copy ("
                                + returned.get() + ")") + (dryRun ? "" : "; left in the dead-letter queue"));
                    } else {
                        if (!dryRun) {
                            channel.basicAck(letter.deliveryTag(), false);
                        }
                        if (done.startsWith("replayed")) {
                            replayed++;
                        } else if (done.startsWith("parked")) {
                            parked++;
                        } else {
                            purged++;
                        }
                        progress.taken(letter, (dryRun ? "would be " : "") + done);
                    }
                }
                progress.scanned(scanned, (int) waiting);
            }
        }
        return new Summary(scanned, matched, replayed, parked, purged, skipped);
    }

    /** The copy a replay publishes: the original, counting one more replay, without the last failure's headers. */
    private static AMQP.BasicProperties replayed(DeadLetter letter) {
        Map<String, Object> headers = new HashMap<>(letter.headers());
        FAILURE_HEADERS.forEach(headers::remove);
        headers.put(DeadLetterHeaders.REPLAYS, letter.replays() + 1);
        return letter.properties().builder().headers(headers).build();
    }

    private static void confirm(Channel publisher) throws IOException {
        try {
            publisher.waitForConfirmsOrDie(CONFIRM_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a confirm", e);
        } catch (TimeoutException e) {
            throw new IOException("the broker did not confirm a copy within " + CONFIRM_TIMEOUT.toSeconds() + " s; its original stays", e);
        }
    }

    private static long waiting(Channel channel) throws IOException {
        return channel.queueDeclarePassive(Wire.DEAD_LETTER_QUEUE).getMessageCount();
    }
}
