package io.imginject.worker.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Named locks held by one thread at a time across every worker process of the host: a lock file per name under a
 * directory all workers share, held with an OS file lock, plus an in-process lock because the JVM forbids one
 * process from locking one file twice (so two instances on one directory in one JVM also exclude each other). The OS drops a file lock when its process dies, so a crashed worker never
 * leaves a name locked.
 */
public final class SharedLocks {
    private static final long POLL_MS = 50;

    private final Path directory;
    /** Every lock file this JVM holds or waits for: the JVM forbids two locks on one file in one process. */
    private static final Map<Path, Holder> LOCAL = new HashMap<>();

    /** @param directory where the lock files are; the same for every worker of the host */
    public SharedLocks(Path directory) {
        this.directory = directory;
    }

    /** A held lock; closing releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    public Path directory() {
        return directory;
    }

    /**
     * Waits up to {@code wait} for the lock named {@code name} (a file name: no {@code /}).
     *
     * @return the held lock, or empty when another holder kept it all that time
     * @throws IOException when the lock file cannot be opened or locked
     */
    public Optional<Held> lock(String name, Duration wait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Path file = directory.resolve(name).toAbsolutePath().normalize();
        Holder holder = joinLocal(file);
        boolean locked = false;
        FileChannel channel = null;
        try {
            locked = holder.lock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS);
            if (!locked) {
                return Optional.empty();
            }
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while (channel.tryLock() == null) {
                if (System.nanoTime() > deadline) {
                    return Optional.empty();
                }
                Thread.sleep(POLL_MS);
            }
            FileChannel held = channel;
            channel = null;
            return Optional.of(() -> release(file, holder, held));
        } finally {
            if (channel != null) {
                closeQuietly(channel);
            }
            if (channel != null || !locked) {
                if (locked) {
                    holder.lock.unlock();
                }
                leaveLocal(file, holder);
            }
        }
    }

    private static void release(Path file, Holder holder, FileChannel channel) {
        closeQuietly(channel);
        holder.lock.unlock();
        leaveLocal(file, holder);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing the channel drops the OS lock whether or not close reports an error
        }
    }

    private static Holder joinLocal(Path file) {
        synchronized (LOCAL) {
            Holder holder = LOCAL.computeIfAbsent(file, f -> new Holder());
            holder.users++;
            return holder;
        }
    }

    private static void leaveLocal(Path file, Holder holder) {
        synchronized (LOCAL) {
            if (--holder.users == 0) {
                LOCAL.remove(file);
            }
        }
    }

    /** The in-process lock of one lock file and how many threads are waiting for or holding it. */
    private static final class Holder {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }
}
