package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.metrics.WorkerMetrics;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back what dead workers held. It reads every journal under the run directory whose owner no longer holds its
 * lock. First it lets the commands the dead worker left running finish (a losetup or mount started just before the
 * worker died completes after it, as an orphan; they carry the worker's {@link CommandEnvironment} mark), so nothing
 * is taken after it has been released; the helpers that keep up what it held are not waited for. Then it releases
 * what the journal still lists as held, newest first, each through {@link HeldResource#release}, the code a job
 * releases it with. Everything is recorded before it is taken, so a worker killed
 * half-way through taking something leaves nothing unrecorded. Releasing stops at the first thing that cannot be
 * released yet (a busy mount, say): what is older may lie under it (its loop device, the FUSE export and helpers
 * under that), and taking it away would hide the busy thing instead of releasing it. The journal then stays, and
 * the next recovery tries again. Living siblings' journals are left alone.
 *
 * <p>A worker recovers at start, and before every job once it holds the job's image lock: a sibling that died
 * holding that image released its image lock with its life, but its mount of the image lives on until recovered,
 * and the image must not be mounted twice. Recovery runs under a host-wide lock, so a job never mistakes a journal
 * another worker is busy recovering for a living worker's. Journals of this JVM are never opened here: closing a
 * second channel on one would drop the lock that says its worker lives.
 */
public final class CrashRecovery {
    private static final Logger log = LoggerFactory.getLogger(CrashRecovery.class);
    private static final Duration STRAGGLER_WAIT = Duration.ofSeconds(30);
    /** Others may pass through the run directory (fuse2fs's user, to its mount point): they must not take this lock. */
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final ReleaseTools tools;
    private final Path runDir;
    private final WorkerMetrics metrics;
    private final ReentrantLock localLock = new ReentrantLock();

    /**
     * @param runDir the run directory; only paths under it are ever removed
     * @param metrics counts what is released, by kind
     */
    public CrashRecovery(ProcessRunner runner, Path runDir, WorkerMetrics metrics) {
        this.tools = new ReleaseTools(runner, runDir);
        this.runDir = runDir;
        this.metrics = metrics;
    }

    /** The journals of a worker with this run directory. */
    public static Path journals(Path runDir) {
        return runDir.resolve("journal");
    }

    /**
     * Cleans up after every dead worker of the host, holding the host's recovery lock meanwhile; returns what was
     * released.
     */
    @SuppressWarnings("try") // the file lock is held for the block, not used in it
    public List<HeldResource> recoverDeadWorkers() {
        localLock.lock();
        try (FileChannel hostLock = FileChannel.open(
                        runDir.resolve("recovery.lock"),
                        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                        OWNER_ONLY);
                FileLock held = hostLock.lock()) {
            return recover(journals(runDir));
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR, "could not check for host resources left by dead workers: " + e, e);
        } finally {
            localLock.unlock();
        }
    }

    /** Cleans up after every dead worker with a journal in {@code journals}; returns what was released. */
    List<HeldResource> recover(Path journals) throws IOException {
        List<HeldResource> released = new ArrayList<>();
        if (!Files.isDirectory(journals)) {
            return released;
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(journals)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(ResourceJournal.SUFFIX))
                    .filter(p -> !HeldChannels.isHeld(p))
                    .toList();
        }
        for (Path file : files) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    continue;
                }
                if (lock == null) {
                    continue;
                }
                released.addAll(recoverJournal(file));
            }
        }
        return released;
    }

    /**
     * Releases what the dead worker's journal {@code file} lists, newest first, up to the first thing that cannot
     * be released yet; deletes the journal once all is. Returns what was released: nothing when the journal cannot be
     * read, which is then kept.
     */
    private List<HeldResource> recoverJournal(Path file) throws IOException {
        DeadJournal dead;
        try {
            dead = DeadJournal.read(file);
        } catch (UnreadableJournalException e) {
            log.error(
                    "kept the journal {} of a dead worker, which this worker cannot read: {}",
                    file.getFileName(),
                    e.getMessage());
            return List.of();
        }
        dead.mark().ifPresent(mark -> awaitStragglers(mark, dead));
        List<HeldResource> held = dead.stillHeld();
        if (!held.isEmpty()) {
            log.warn(
                    "a worker died holding {} host resources (journal {}); releasing them",
                    held.size(),
                    file.getFileName());
        }
        List<HeldResource> released = releaseNewestFirst(held);
        if (released.size() == held.size()) {
            Files.delete(file);
        } else {
            log.error(
                    "kept the journal {} of a dead worker: what could not be released, and what lies under it, is "
                            + "tried again at the next recovery",
                    file.getFileName());
        }
        return released;
    }

    /** Releases {@code held}, newest first, up to the first that cannot be released; returns those released. */
    private List<HeldResource> releaseNewestFirst(List<HeldResource> held) {
        List<HeldResource> released = new ArrayList<>();
        for (HeldResource resource : held) {
            if (!release(resource)) {
                break;
            }
            released.add(resource);
        }
        return released;
    }

    /**
     * Waits until the commands that carry {@code mark} have ended, killing those still running after
     * {@link #STRAGGLER_WAIT}; the dead worker's helpers, which keep up what it still holds, are left to be stopped
     * in their turn, after what runs on them is released.
     */
    private static void awaitStragglers(String mark, DeadJournal dead) {
        List<ProcessHandle> stragglers = CommandEnvironment.processesMarked(mark).stream()
                .filter(p -> !dead.keepsUp(p))
                .toList();
        for (ProcessHandle straggler : stragglers) {
            log.warn(
                    "waiting for {} (pid {}), left running by a dead worker, before releasing what that worker held",
                    straggler.info().command().orElse("a command"),
                    straggler.pid());
            try {
                if (ProcessEnds.awaitOrKill(straggler, STRAGGLER_WAIT)) {
                    log.warn("killed pid {}: still running after {} s", straggler.pid(), STRAGGLER_WAIT.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Releases {@code resource}; returns whether it is gone. */
    private boolean release(HeldResource resource) {
        try {
            resource.release(tools);
            log.info("released {}", resource);
            metrics.crashRecoveryReleased(resource.kind().name());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("could not release {}: interrupted", resource);
        } catch (IOException | RuntimeException e) {
            log.error("could not release {}: {}", resource, e.toString());
        }
        return false;
    }
}
