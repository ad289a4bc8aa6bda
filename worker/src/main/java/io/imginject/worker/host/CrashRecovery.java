package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back what dead workers held. It reads every journal under the run directory whose owner no longer holds its
 * lock. First it lets the commands the dead worker left running finish (a losetup or mount started just before the
 * worker died completes after it, as an orphan; they carry the worker's {@link CommandEnvironment} mark), so nothing
 * is taken after it has been released. Then it releases what the journal still lists as held, newest first, each
 * the way it is released in a job: unmount, unmount whatever is mounted from the loop devices on the recorded file
 * and offset and detach them, unmount the FUSE export, disconnect the nbd device, stop the helpers that name the
 * job's work directory, remove the work directory. Everything is recorded before it is taken, so a worker killed
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

    private final ProcessRunner runner;
    private final LoopDevices loops;
    private final Mounts mounts;
    private final Path runDir;
    private final ReentrantLock localLock = new ReentrantLock();

    /** @param runDir the run directory; only paths under it are ever removed */
    public CrashRecovery(ProcessRunner runner, Path runDir) {
        this.runner = runner;
        this.loops = new LoopDevices(runner);
        this.mounts = new Mounts(runner);
        this.runDir = runDir;
    }

    /** The journals of a worker with this run directory. */
    public static Path journals(Path runDir) {
        return runDir.resolve("journal");
    }

    /**
     * Cleans up after every dead worker of the host, holding the host's recovery lock meanwhile; returns what was
     * released.
     */
    public List<HeldResource> recoverDeadWorkers() {
        localLock.lock();
        try (FileChannel hostLock = FileChannel.open(runDir.resolve("recovery.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = hostLock.lock()) {
            return recover(journals(runDir));
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR,
                    "could not check for host resources left by dead workers: " + e, e);
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
                DeadJournal dead = DeadJournal.read(file);
                dead.mark().ifPresent(mark -> awaitStragglers(mark, dead.helperDirectories()));
                List<HeldResource> held = dead.stillHeld();
                if (!held.isEmpty()) {
                    log.warn("a worker died holding {} host resources (journal {}); releasing them", held.size(), file.getFileName());
                }
                boolean allReleased = true;
                for (HeldResource resource : held) {
                    if (!release(resource)) {
                        allReleased = false;
                        break;
                    }
                    released.add(resource);
                }
                if (allReleased) {
                    Files.delete(file);
                } else {
                    log.error("kept the journal {} of a dead worker: what could not be released, and what lies under it, is "
                            + "tried again at the next recovery", file.getFileName());
                }
            }
        }
        return released;
    }

    /**
     * Waits until the commands that carry {@code mark} have ended, killing those still running after
     * {@link #STRAGGLER_WAIT}; the dead worker's helpers (whose command lines name a held work directory) are left to
     * be stopped in their turn, after what runs on them is released.
     */
    private static void awaitStragglers(String mark, List<String> helperDirectories) {
        List<ProcessHandle> stragglers = CommandEnvironment.processesMarked(mark).stream()
                .filter(p -> p.info().commandLine().map(c -> helperDirectories.stream().noneMatch(c::contains)).orElse(true))
                .toList();
        for (ProcessHandle straggler : stragglers) {
            log.warn("waiting for {} (pid {}), left running by a dead worker, before releasing what that worker held",
                    straggler.info().command().orElse("a command"), straggler.pid());
            try {
                straggler.onExit().get(STRAGGLER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.warn("killing pid {}: still running after {} s", straggler.pid(), STRAGGLER_WAIT.toSeconds());
                straggler.destroyForcibly();
                straggler.onExit().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Releases {@code resource}; returns whether it is gone. Releasing what is already gone does nothing. */
    private boolean release(HeldResource resource) {
        try {
            switch (resource.kind()) {
                case MOUNT -> unmount(resource.field("path"));
                case LOOP -> detach(resource.field("file"), resource.field("offset"));
                case FUSE -> unmountFuse(resource.field("path"));
                case NBD -> runner.runAllowingFailure(List.of("qemu-nbd", "--disconnect", resource.field("device")));
                case HELPERS -> stopHelpers(resource.field("path"));
                case DIRECTORY -> removeDirectory(Path.of(resource.field("path")));
            }
            log.info("released {}", resource);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("could not release {}: interrupted", resource);
        } catch (IOException | RuntimeException e) {
            log.error("could not release {}: {}", resource, e.toString());
        }
        return false;
    }

    /**
     * Unmounts {@code path}. Never lazily: a lazy unmount would hide a mount that still holds its device, and the
     * device, and the FUSE export under it, could then never be released.
     */
    private void unmount(String path) throws IOException, InterruptedException {
        if (isMountPoint(path)) {
            mounts.unmount(Path.of(path));
        }
    }

    private void unmountFuse(String path) throws IOException, InterruptedException {
        if (isMountPoint(path)) {
            mounts.unmountFuse(Path.of(path));
        }
    }

    /**
     * Detaches every loop device on {@code file} at {@code offset}, once whatever is mounted from it is unmounted,
     * and waits until each has let go of the file.
     */
    private void detach(String file, String offset) throws IOException, InterruptedException {
        CommandResult devices = runner.run("losetup", "--list", "--noheadings", "--raw", "--output", "NAME,OFFSET,BACK-FILE");
        for (String line : devices.stdout().lines().toList()) {
            String[] fields = line.split(" ", 3);
            if (fields.length == 3 && fields[1].equals(offset) && isFile(unescape(fields[2]), file)) {
                for (String mountPoint : mountPointsOf(fields[0])) {
                    unmount(mountPoint);
                }
                loops.detach(fields[0]);
            }
        }
    }

    /** Whether losetup's backing file names {@code file}, which it may since have marked deleted. */
    private static boolean isFile(String backingFile, String file) {
        return backingFile.equals(file) || backingFile.equals(file + " (deleted)");
    }

    /** Stops every process whose command line names {@code workDirectory}, never this one. */
    private static void stopHelpers(String workDirectory) {
        List<ProcessHandle> helpers = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().commandLine().map(c -> c.contains(workDirectory)).orElse(false))
                .toList();
        helpers.forEach(ProcessHandle::destroy);
        for (ProcessHandle helper : helpers) {
            try {
                helper.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception timeout) {
                helper.destroyForcibly();
            }
        }
    }

    private void removeDirectory(Path directory) throws IOException {
        if (!directory.normalize().startsWith(runDir.normalize()) || !Files.isDirectory(directory)) {
            return;
        }
        if (isMountPoint(directory.toString())) {
            throw new IOException(directory + " is still a mount point");
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Where {@code device} is mounted: mountinfo's mount points whose source, after the " - " separator, it is. */
    private static List<String> mountPointsOf(String device) throws IOException {
        List<String> mountPoints = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (separator > 4 && fields.length > separator + 2 && unescape(fields[separator + 2]).equals(device)) {
                mountPoints.add(unescape(fields[4]));
            }
        }
        return mountPoints;
    }

    private static boolean isMountPoint(String path) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields.length > 4 && unescape(fields[4]).equals(path)) {
                return true;
            }
        }
        return false;
    }

    /** mountinfo (and losetup --raw) write space, tab, newline and backslash in paths as octal escapes. */
    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
