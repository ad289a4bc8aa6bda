package io.imginject.worker.oslo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * oslo's duplicate suppression by {@code _unique_id}, kept for the last {@code capacity} messages (oslo keeps 16),
 * with each finished call's final reply, so a duplicate of a finished call gets that reply again instead of
 * silence, and a duplicate of a running one is dropped.
 */
final class RecentMessages {
    /** What this process knows of a message id. */
    sealed interface Seen permits Running, Finished {
    }

    record Running() implements Seen {
    }

    /** @param finalReply the reply body sent, empty for a cast */
    record Finished(Optional<byte[]> finalReply) implements Seen {
    }

    private final Map<String, Seen> seen;

    RecentMessages(int capacity) {
        this.seen = new LinkedHashMap<>(capacity, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Records {@code uniqueId} as running; returns what was known of it before, if anything. */
    synchronized Optional<Seen> start(String uniqueId) {
        Seen before = seen.get(uniqueId);
        if (before == null) {
            seen.put(uniqueId, new Running());
        }
        return Optional.ofNullable(before);
    }

    synchronized void finish(String uniqueId, Optional<byte[]> finalReply) {
        seen.put(uniqueId, new Finished(finalReply));
    }

    /** Forgets a message that did not finish (its delivery goes back to the queue), so a redelivery runs it. */
    synchronized void forget(String uniqueId) {
        seen.remove(uniqueId);
    }
}
