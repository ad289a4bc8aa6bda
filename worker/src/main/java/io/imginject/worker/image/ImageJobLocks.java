package io.imginject.worker.image;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.SharedLocks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * One job per image at a time, across every worker process on the host: a {@link SharedLocks shared lock} per
 * image, named by a hash of its real path.
 */
public final class ImageJobLocks {
    private final SharedLocks locks;
    private final Duration maxWait;

    public ImageJobLocks(Path directory, Duration maxWait) {
        this.locks = new SharedLocks(directory);
        this.maxWait = maxWait;
    }

    /**
     * Waits up to the configured time, and at most {@code atMost}, for {@code image}'s lock.
     *
     * @throws InjectException {@code IMAGE_BUSY} when another job kept it too long
     */
    public SharedLocks.Held lock(Path image, Duration atMost) throws InterruptedException {
        Duration wait = atMost.compareTo(maxWait) < 0 ? atMost : maxWait;
        try {
            return locks.lock(name(image), wait)
                    .orElseThrow(() -> new InjectException(
                            ErrorCode.IMAGE_BUSY,
                            "another job held " + image + " for more than " + maxWait.toSeconds() + " s"));
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR,
                    "could not lock " + image + " through " + locks.directory() + ": " + e,
                    e);
        }
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
}
