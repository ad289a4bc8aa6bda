package io.imginject.worker.oslo;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The {@code _unique_id}s of the messages this process is running, so a duplicate arriving meanwhile is dropped. */
final class RunningMessages {
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    /** Records {@code uniqueId} as running; false if it already was. */
    boolean start(String uniqueId) {
        return running.add(uniqueId);
    }

    void finish(String uniqueId) {
        running.remove(uniqueId);
    }
}
