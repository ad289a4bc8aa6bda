package io.imginject.worker.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back what dead workers held. It reads every journal under the run directory whose owner no longer holds its
 * lock, and releases what the journal still lists as held, newest first, each the way it is released in a job:
 * unmount, detach the loop devices on the recorded file and offset, unmount the FUSE export, disconnect the nbd
 * device, stop the helpers that name the job's work directory, remove the work directory. Everything is recorded
 * before it is taken, so a worker killed half-way through taking something leaves nothing unrecorded. Living
 * siblings' journals are left alone.
 *
 * <p>A worker recovers at start, and before every job once it holds the job's image lock: a sibling that died
 * holding that image released its image lock with its life, but its mount of the image lives on until recovered,
 * and the image must not be mounted twice. Recovery runs under a host-wide lock, so a job never mistakes a journal
 * another worker is busy recovering for a living worker's. Journals of this JVM are never opened here: closing a
 * second channel on one would drop the lock that says its worker lives.
 */
public final class CrashRecovery {
    private static final Logger log = LoggerFactory.getLogger(CrashRecovery.class);
    private static final JsonMapper JSON = new JsonMapper();

    private final ProcessRunner runner;
    private final Path runDir;
    private final ReentrantLock localLock = new ReentrantLock();

    /** @param runDir the run directory; only paths under it are ever removed */
    public CrashRecovery(ProcessRunner runner, Path runDir) {
        this.runner = runner;
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
                List<HeldResource> held = stillHeld(file);
                if (!held.isEmpty()) {
                    log.warn("a worker died holding {} host resources (journal {}); releasing them", held.size(), file.getFileName());
                }
                for (HeldResource resource : held) {
                    release(resource);
                    released.add(resource);
                }
                Files.delete(file);
            }
        }
        return released;
    }

    /** What the journal lists as taken and not given back, newest first. */
    private static List<HeldResource> stillHeld(Path file) throws IOException {
        Map<Long, HeldResource> held = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode entry;
            try {
                entry = JSON.readTree(line);
            } catch (IOException torn) {
                continue;
            }
            long id = entry.path("id").asLong();
            if (entry.path("op").asText().equals("acquire")) {
                Map<String, String> fields = new LinkedHashMap<>();
                entry.path("fields").fields().forEachRemaining(f -> fields.put(f.getKey(), f.getValue().asText()));
                held.put(id, new HeldResource(HeldResource.Kind.valueOf(entry.path("kind").asText()), fields));
            } else {
                held.remove(id);
            }
        }
        List<HeldResource> newestFirst = new ArrayList<>(held.values());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    private void release(HeldResource resource) {
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
        } catch (IOException | RuntimeException e) {
            log.error("could not release {}: {}", resource, e.toString());
        }
    }

    private void unmount(String path) throws IOException {
        if (!isMountPoint(path)) {
            return;
        }
        if (!runner.runAllowingFailure(List.of("umount", path)).succeeded()) {
            runner.run("umount", "--lazy", path);
        }
    }

    private void unmountFuse(String path) throws IOException {
        if (isMountPoint(path)) {
            runner.run("fusermount3", "-u", "-z", path);
        }
    }

    /** Detaches every loop device on {@code file} at {@code offset}. */
    private void detach(String file, String offset) {
        CommandResult devices = runner.run("losetup", "--list", "--noheadings", "--raw", "--output", "NAME,OFFSET,BACK-FILE");
        for (String line : devices.stdout().lines().toList()) {
            String[] fields = line.split(" ", 3);
            if (fields.length == 3 && fields[1].equals(offset) && unescape(fields[2]).startsWith(file)) {
                runner.run("losetup", "--detach", fields[0]);
            }
        }
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
        if (!directory.normalize().startsWith(runDir.normalize()) || !Files.isDirectory(directory) || isMountPoint(directory.toString())) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
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
