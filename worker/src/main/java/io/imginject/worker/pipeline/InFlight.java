package io.imginject.worker.pipeline;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The dedup ids of the requests this process is running, so that a twin arriving meanwhile can be dropped. */
final class InFlight {
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    /** Records {@code dedupId} as running; false if it already was. */
    boolean start(String dedupId) {
        return running.add(dedupId);
    }

    void finish(String dedupId) {
        running.remove(dedupId);
    }
}
