package io.imginject.worker.image;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One job per image at a time, across every worker process on the host: a lock file per image (named by a hash
 * of its real path) under a directory all workers share, held with an OS file lock, plus an in-process lock
 * because the JVM forbids one process from locking one file twice. The OS drops a file lock when its process
 * dies, so a crashed worker never leaves an image locked.
 */
public final class ImageJobLocks {
    private static final long POLL_MS = 50;

    private final Path directory;
    private final Duration maxWait;
    private final Map<Path, Holder> local = new HashMap<>();

    public ImageJobLocks(Path directory, Duration maxWait) {
        this.directory = directory;
        this.maxWait = maxWait;
    }

    /** A held image lock; closing releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits up to the configured time, and at most {@code atMost}, for {@code image}'s lock.
     *
     * @throws InjectException {@code IMAGE_BUSY} when another job kept it too long
     */
    public Held lock(Path image, Duration atMost) throws InterruptedException {
        Duration wait = atMost.compareTo(maxWait) < 0 ? atMost : maxWait;
        long deadline = System.nanoTime() + wait.toNanos();
        Holder holder = joinLocal(image);
        boolean locked = false;
        FileChannel channel = null;
        try {
            locked = holder.lock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS);
            if (!locked) {
                throw busy(image);
            }
            channel = FileChannel.open(
                    directory.resolve(name(image)), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while (channel.tryLock() == null) {
                if (System.nanoTime() > deadline) {
                    throw busy(image);
                }
                Thread.sleep(POLL_MS);
            }
            FileChannel held = channel;
            channel = null;
            return () -> release(image, holder, held);
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR, "could not lock " + image + " through " + directory + ": " + e, e);
        } finally {
            if (channel != null) {
                closeQuietly(channel);
            }
            if (channel != null || !locked) {
                if (locked) {
                    holder.lock.unlock();
                }
                leaveLocal(image, holder);
            }
        }
    }

    private void release(Path image, Holder holder, FileChannel channel) {
        closeQuietly(channel);
        holder.lock.unlock();
        leaveLocal(image, holder);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing the channel drops the OS lock whether or not close reports an error
        }
    }

    private synchronized Holder joinLocal(Path image) {
        Holder holder = local.computeIfAbsent(image, i -> new Holder());
        holder.users++;
        return holder;
    }

    private synchronized void leaveLocal(Path image, Holder holder) {
        if (--holder.users == 0) {
            local.remove(image);
        }
    }

    private InjectException busy(Path image) {
        return new InjectException(
                ErrorCode.IMAGE_BUSY, "another job held " + image + " for more than " + maxWait.toSeconds() + " s");
    }

    private static String name(Path image) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(image.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16) + ".lock";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The in-process lock of one image and how many jobs are waiting for or holding it. */
    private static final class Holder {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }
}
