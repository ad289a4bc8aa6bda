package io.imginject.worker.pipeline;

import io.imginject.worker.metrics.WorkerMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replies of finished jobs, kept for a while in a directory the host's workers share, so that a request the
 * broker delivers again (its ack was lost to a crash, a kill or a broker restart) is answered with the very same
 * reply, without touching the image again. A reply is found by the request's dedup id (a native job id, an oslo
 * {@code _unique_id}), its replay count and a hash of its body: a replayed request, or another request under a
 * reused id, runs afresh.
 *
 * <p>What a kept reply may answer depends on how the job ended. A success answers any later delivery of the same
 * request: running it again would only do the same. A failure that trying again cannot mend answers only a
 * redelivery of the same delivery (the broker's redelivered flag): the same request sent anew (the image was
 * missing and now is there) runs again, and a fresh delivery drops the kept failure. A failure that may pass
 * ({@link io.imginject.protocol.ErrorCode#isTransient() transient}) is never kept as the answer.
 */
public final class KeptReplies {
    private static final Logger log = LoggerFactory.getLogger(KeptReplies.class);
    private static final String SUCCEEDED = ".ok";
    private static final String FAILED = ".failed";

    private final Path directory;
    private final Duration keep;
    private final Clock clock;
    private final WorkerMetrics metrics;

    /**
     * @param directory where replies are kept; shared by the workers of a host
     * @param keep how long a reply is kept
     * @param metrics counts the deliveries a kept reply answers
     */
    public KeptReplies(Path directory, Duration keep, Clock clock, WorkerMetrics metrics) {
        this.directory = directory;
        this.keep = keep;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** The key of a request: its dedup id, how often it was replayed, and its body. */
    static String key(String dedupId, int replays, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(dedupId.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(Integer.toString(replays).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(body);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * The kept reply that answers this delivery of the request under {@code key}, if one does: its success, or,
     * for a {@code redelivered} delivery, its failure. A delivery that is not a redelivery drops a kept failure, so
     * that a redelivery of this delivery is not answered with the failure of an earlier one.
     */
    Optional<byte[]> answerFor(String key, boolean redelivered) {
        Optional<byte[]> answer = keptAnswer(key, redelivered);
        answer.ifPresent(unused -> metrics.keptReplyHit());
        return answer;
    }

    private Optional<byte[]> keptAnswer(String key, boolean redelivered) {
        Optional<byte[]> success = read(directory.resolve(key + SUCCEEDED));
        if (success.isPresent()) {
            return success;
        }
        Path failure = directory.resolve(key + FAILED);
        if (redelivered) {
            return read(failure);
        }
        delete(failure);
        return Optional.empty();
    }

    /** Keeps the reply of a job that succeeded; a failure to keep it only costs a rerun on redelivery. */
    void keepSuccess(String key, byte[] reply) {
        write(directory.resolve(key + SUCCEEDED), reply);
    }

    /**
     * Keeps the reply of a job that failed, for a redelivery of the same delivery; one whose failure may pass
     * ({@code retryable}) is not kept, so that any delivery runs it again.
     */
    void keepFailure(String key, byte[] reply, boolean retryable) {
        Path file = directory.resolve(key + FAILED);
        if (retryable) {
            delete(file);
        } else {
            write(file, reply);
        }
    }

    private Optional<byte[]> read(Path file) {
        try {
            if (Files.exists(file) && !expired(file)) {
                return Optional.of(Files.readAllBytes(file));
            }
        } catch (IOException e) {
            log.warn("could not read a kept reply: {}", e.toString());
        }
        return Optional.empty();
    }

    private void write(Path file, byte[] reply) {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(temporary, reply);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("could not keep a job's reply; a redelivery would run it again: {}", e.toString());
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("could not drop a kept failure: {}", e.toString());
        }
    }

    /** Deletes replies older than the keeping time. */
    public void prune() {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                if (expired(file)) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            log.warn("could not prune kept replies: {}", e.toString());
        }
    }

    private boolean expired(Path file) throws IOException {
        Instant written = Files.getLastModifiedTime(file).toInstant();
        return written.plus(keep).isBefore(Instant.now(clock));
    }
}
