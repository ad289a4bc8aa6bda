package io.imginject.worker.dlq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.broker.QuorumQueues;
import io.imginject.worker.deadletter.BrokenSealException;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.deadletter.DeadLetterSeal;
import io.imginject.worker.deadletter.ReplayCount;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
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
    public record Summary(int scanned, int matched, int replayed, int parked, int purged, int skipped) {}

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
     * Republishes the requests the matching messages hold, at most {@code limit}, to where they were first published
     * (or to host {@code toHost}), counting the replay in {@code x-imginject-replays} under its seal; a message
     * replayed {@code maxReplays} times already goes to the parking lot instead, still sealed. Only a message whose
     * seal holds under {@code key} is replayed or parked: where it goes, how often it was replayed and its request
     * come from the seal; any other message is skipped with the reason and left in the queue. With {@code dryRun}
     * nothing changes.
     */
    public Summary replay(
            DeadLetterKey key,
            Predicate<DeadLetter> filter,
            int limit,
            Optional<String> toHost,
            int maxReplays,
            boolean dryRun,
            Progress progress)
            throws IOException, TimeoutException {
        DeadLetterSeal seal = new DeadLetterSeal(key);
        ReplayCount replays = new ReplayCount(key);
        return pass(filter, limit, dryRun, progress, letter -> {
            byte[] request;
            try {
                request = seal.open(letter.properties(), letter.body());
            } catch (BrokenSealException e) {
                return new Step(Outcome.SKIPPED, Optional.empty(), "refused: " + e.getMessage());
            }
            if (letter.replays() >= maxReplays) {
                return new Step(
                        Outcome.PARKED,
                        Optional.of(new Copy("", Wire.PARKING_LOT_QUEUE, letter.properties(), letter.body())),
                        "parked (replayed " + letter.replays() + " times already)");
            }
            Optional<String> exchange = toHost.isPresent() ? Optional.of(Wire.EXCHANGE) : letter.originalExchange();
            Optional<String> routingKey = toHost.map(Wire::routingKey).or(letter::originalRoutingKey);
            boolean nativeRequest =
                    letter.originalExchange().map(Wire.EXCHANGE::equals).orElse(false);
            if (exchange.isEmpty() || routingKey.isEmpty() || (toHost.isPresent() && !nativeRequest)) {
                return new Step(Outcome.SKIPPED, Optional.empty(), "no place to replay it to");
            }
            return new Step(
                    Outcome.REPLAYED,
                    Optional.of(
                            new Copy(exchange.get(), routingKey.get(), replayed(letter, request, replays), request)),
                    "replayed to " + (exchange.get().isEmpty() ? "(default)" : exchange.get()) + " "
                            + routingKey.get());
        });
    }

    /** Removes the matching messages, at most {@code limit}. With {@code dryRun} nothing changes. */
    public Summary purge(Predicate<DeadLetter> filter, int limit, boolean dryRun, Progress progress)
            throws IOException, TimeoutException {
        return pass(filter, limit, dryRun, progress, letter -> new Step(Outcome.PURGED, Optional.empty(), "purged"));
    }

    private enum Outcome {
        REPLAYED,
        PARKED,
        PURGED,
        SKIPPED
    }

    /** A message to publish in place of the dead letter. */
    @SuppressWarnings("ArrayRecordComponent") // carries a body to the AMQP client's byte[]; never compared
    private record Copy(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) {}

    /** What a pass does with one matching message: its outcome, the copy it publishes first if any, and what to say. */
    private record Step(Outcome outcome, Optional<Copy> copy, String said) {}

    private Summary pass(
            Predicate<DeadLetter> filter,
            int limit,
            boolean dryRun,
            Progress progress,
            Function<DeadLetter, Step> decide)
            throws IOException, TimeoutException {
        int scanned = 0;
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        try (Channel channel = connection.createChannel();
                ConfirmedPublisher publisher = new ConfirmedPublisher(connection, CONFIRM_TIMEOUT)) {
            new QuorumQueues(QuorumQueues.DEFAULT_GROUP_SIZE).declare(channel, Wire.PARKING_LOT_QUEUE, Map.of());
            long waiting = waiting(channel);
            for (long i = 0; i < waiting && matched(counts) < limit; i++) {
                GetResponse response = channel.basicGet(Wire.DEAD_LETTER_QUEUE, false);
                if (response == null) {
                    break;
                }
                scanned++;
                DeadLetter letter = DeadLetter.of(response);
                if (filter.test(letter)) {
                    Step step = decide.apply(letter);
                    Optional<String> returned = Optional.empty();
                    if (step.outcome() != Outcome.SKIPPED && !dryRun) {
                        // the original leaves only once its copy is confirmed and a queue took it
                        if (step.copy().isPresent()) {
                            Copy copy = step.copy().get();
                            returned = publisher.publishMandatory(
                                    copy.exchange(), copy.routingKey(), copy.properties(), copy.body());
                        }
                        if (returned.isEmpty()) {
                            channel.basicAck(letter.deliveryTag(), false);
                        }
                    }
                    Outcome outcome = returned.isPresent() ? Outcome.SKIPPED : step.outcome();
                    counts.merge(outcome, 1, Integer::sum);
                    String said = returned.map(reason -> "no queue took the copy (" + reason + ")")
                            .orElse(step.said());
                    progress.taken(
                            letter,
                            outcome == Outcome.SKIPPED
                                    ? "skipped: " + said + (dryRun ? "" : "; left in the dead-letter queue")
                                    : (dryRun ? "would be " : "") + said);
                }
                progress.scanned(scanned, (int) waiting);
            }
        }
        return new Summary(
                scanned,
                matched(counts),
                counts.getOrDefault(Outcome.REPLAYED, 0),
                counts.getOrDefault(Outcome.PARKED, 0),
                counts.getOrDefault(Outcome.PURGED, 0),
                counts.getOrDefault(Outcome.SKIPPED, 0));
    }

    private static int matched(Map<Outcome, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * The properties a replay publishes {@code request} with: the letter's, without the dead-letter bookkeeping,
     * counting one more replay under its seal.
     */
    private static AMQP.BasicProperties replayed(DeadLetter letter, byte[] request, ReplayCount replays) {
        Map<String, Object> headers = DeadLetterHeaders.withoutBookkeeping(letter.headers());
        headers.putAll(replays.headers(letter.properties(), letter.replays() + 1, request));
        return letter.properties().builder().headers(headers).build();
    }

    private static long waiting(Channel channel) throws IOException {
        return channel.queueDeclarePassive(Wire.DEAD_LETTER_QUEUE).getMessageCount();
    }
}
