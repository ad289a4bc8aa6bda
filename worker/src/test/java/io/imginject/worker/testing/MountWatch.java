package io.imginject.worker.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches {@code /proc/self/mountinfo} in a tight loop while it is open and keeps every line that mounts
 * something below {@code under}: short-lived mounts (the worker's read-only probes) included.
 */
public final class MountWatch implements AutoCloseable {
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final Thread watcher;
    private volatile boolean running = true;

    private MountWatch(Path under) {
        String prefix = under.toAbsolutePath().toString();
        watcher = new Thread(
                () -> {
                    while (running) {
                        try {
                            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                                if (line.split(" ", -1)[4].startsWith(prefix)) {
                                    seen.add(line);
                                }
                            }
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                },
                "mount-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    public static MountWatch under(Path directory) {
        return new MountWatch(directory);
    }

    /** The mountinfo lines seen so far. */
    public List<String> mounts() {
        return List.copyOf(seen);
    }

    /**
     * Stops the watcher and waits for it, however often interrupted (it stops within one pass over mountinfo); an
     * interruption is kept for the caller. Close throws nothing, so an interruption cannot be lost as a suppressed
     * exception of a try-with-resources.
     */
    @Override
    public void close() {
        running = false;
        boolean interrupted = false;
        while (true) {
            try {
                watcher.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
