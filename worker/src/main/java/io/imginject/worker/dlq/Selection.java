package io.imginject.worker.dlq;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which dead letters an operation takes: every criterion given must hold. Nothing given selects nothing, unless
 * {@code all} says so, so that a forgotten filter never replays or purges the whole queue.
 *
 * @param all take every message
 * @param host the worker host that gave up on it
 * @param code its error code (or the broker's reason)
 * @param correlationId its correlation id
 * @param jobId its job id
 * @param olderThan failed at least this long ago
 * @param newerThan failed at most this long ago
 */
public record Selection(
        boolean all,
        Optional<String> host,
        Optional<String> code,
        Optional<String> correlationId,
        Optional<String> jobId,
        Optional<Duration> olderThan,
        Optional<Duration> newerThan) {

    public static Selection everything() {
        return new Selection(
                true,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }

    /** Whether any criterion or {@code all} was given. */
    public boolean isGiven() {
        return all
                || host.isPresent()
                || code.isPresent()
                || correlationId.isPresent()
                || jobId.isPresent()
                || olderThan.isPresent()
                || newerThan.isPresent();
    }

    public Predicate<DeadLetter> predicate(Clock clock) {
        Instant now = Instant.now(clock);
        return letter -> isGiven()
                && host.map(h -> letter.host().map(h::equals).orElse(false)).orElse(true)
                && code.map(c -> c.equals(letter.code())).orElse(true)
                && correlationId
                        .map(c -> letter.correlationId().map(c::equals).orElse(false))
                        .orElse(true)
                && jobId.map(j -> j.equals(letter.jobId())).orElse(true)
                && olderThan
                        .map(d -> letter.failedAt()
                                .map(t -> t.isBefore(now.minus(d)))
                                .orElse(false))
                        .orElse(true)
                && newerThan
                        .map(d -> letter.failedAt()
                                .map(t -> t.isAfter(now.minus(d)))
                                .orElse(false))
                        .orElse(true);
    }
}
