package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.disk.DiskRegion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Attaches regions of raw files to loop devices and detaches them. {@code losetup --find} picks a free device
 * and creates more on demand; the kernel arbitrates, so two jobs never get one device.
 */
public final class LoopDevices {
    private static final Duration DETACH_WAIT = Duration.ofSeconds(10);

    private final ProcessRunner runner;

    public LoopDevices(ProcessRunner runner) {
        this.runner = runner;
    }

    /**
     * The name the kernel will show as the backing file of a loop device on {@code file}, which crash recovery looks
     * for: the file a {@code /proc/<pid>/fd/N} link (as the handlers pass) points to, or the real path.
     */
    public static Path backingName(Path file) {
        try {
            return Files.isSymbolicLink(file) ? Files.readSymbolicLink(file) : file.toRealPath();
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not tell what " + file + " names: " + e, e);
        }
    }

    /** Attaches {@code region} of {@code file}; returns the device, e.g. {@code /dev/loop3}. */
    public String attach(Path file, DiskRegion region, boolean readOnly) {
        List<String> argv = new ArrayList<>(List.of("losetup", "--find", "--show", "--offset", Long.toString(region.offset()),
                "--sizelimit", Long.toString(region.size())));
        if (readOnly) {
            argv.add("--read-only");
        }
        argv.add(file.toString());
        try {
            return runner.run(argv).stdout().strip();
        } catch (CommandFailedException e) {
            if (e.stderr().contains("Device or resource busy") || e.stderr().contains("could not find any free loop device")) {
                throw new InjectException(ErrorCode.DEVICE_BUSY, "no free loop device: " + e.stderr().strip(), e);
            }
            throw e;
        }
    }

    /**
     * The loop devices on the region of {@code file} at {@code offset} of {@code size} bytes, found by what losetup
     * lists as their backing file, which it may since have marked deleted.
     */
    public List<String> attachedTo(Path file, long offset, long size) {
        Set<String> names = new HashSet<>(List.of(file.toString(), KernelPaths.asKernelShows(file).toString()));
        CommandResult listing = runner.run("losetup", "--list", "--noheadings", "--raw", "--output", "NAME,OFFSET,SIZELIMIT,BACK-FILE");
        List<String> devices = new ArrayList<>();
        for (String line : listing.stdout().lines().toList()) {
            String[] fields = line.split(" ", 4);
            if (fields.length == 4 && fields[1].equals(Long.toString(offset)) && fields[2].equals(Long.toString(size))) {
                String backingFile = KernelPaths.unescape(fields[3]).replaceFirst(" \\(deleted\\)$", "");
                if (names.contains(backingFile)) {
                    devices.add(fields[0]);
                }
            }
        }
        return devices;
    }

    /**
     * Detaches {@code device} and waits until the kernel has let go of its backing file. When another process has
     * the device open at that moment (losetup --find of a sibling job looks at devices), the kernel only marks it
     * to clear on last close and returns at once; the backing file stays busy until then, and a FUSE export under it
     * could not be unmounted yet.
     */
    public void detach(String device) throws InterruptedException {
        runner.run("losetup", "--detach", device);
        Path backing = Path.of("/sys/block", Path.of(device).getFileName().toString(), "loop", "backing_file");
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        while (Files.exists(backing)) {
            if (System.nanoTime() > deadline) {
                throw new InjectException(ErrorCode.CLEANUP_FAILED, device + " still holds its backing file "
                        + DETACH_WAIT.toSeconds() + " s after it was detached");
            }
            Thread.sleep(10);
        }
    }
}
