package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Attaches regions of raw files to loop devices and detaches them. {@code losetup --find} picks a free device
 * and creates more on demand; the kernel arbitrates, so two jobs never get one device.
 */
public final class LoopDevices {
    private static final String DELETED = " \\(deleted\\)";
    private static final Duration DETACH_WAIT = Duration.ofSeconds(10);
    private static final Path SYS_BLOCK = Path.of("/sys/block");

    private final ProcessRunner runner;

    public LoopDevices(ProcessRunner runner) {
        this.runner = runner;
    }

    /**
     * The name the kernel will show as the backing file of a loop device on {@code file}, by which the device is found
     * again to release it: the file a {@code /proc/<pid>/fd/N} link (as the handlers pass) points to, or the real
     * path. A file renamed over since it was opened shows as its old name marked {@code (deleted)}, which
     * {@link #attachedTo} does not compare.
     */
    public static Path backingName(Path file) {
        try {
            return Files.isSymbolicLink(file)
                    ? Path.of(Files.readSymbolicLink(file).toString().replaceFirst(DELETED + "$", ""))
                    : file.toRealPath();
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not tell what " + file + " names: " + e, e);
        }
    }

    /** Attaches {@code size} bytes of {@code file} from {@code offset}; returns the device, e.g. {@code /dev/loop3}. */
    public String attach(Path file, long offset, long size, boolean readOnly) {
        List<String> argv = new ArrayList<>(List.of(
                "losetup", "--find", "--show", "--offset", Long.toString(offset), "--sizelimit", Long.toString(size)));
        if (readOnly) {
            argv.add("--read-only");
        }
        argv.add(file.toString());
        try {
            return runner.run(argv).stdout().strip();
        } catch (CommandFailedException e) {
            if (e.stderr().contains("Device or resource busy")
                    || e.stderr().contains("could not find any free loop device")) {
                throw new InjectException(
                        ErrorCode.DEVICE_BUSY,
                        "no free loop device: " + e.stderr().strip(),
                        e);
            }
            throw e;
        }
    }

    /**
     * The loop devices on the region of {@code file} at {@code offset} of {@code size} bytes, found by what the kernel
     * shows as their backing file, which it may since have marked deleted. Read from sysfs, where losetup reads its
     * listing too, so that releasing a device costs no process.
     */
    public List<String> attachedTo(Path file, long offset, long size) {
        Set<String> names = new HashSet<>(
                List.of(file.toString(), KernelPaths.asKernelShows(file).toString()));
        List<String> devices = new ArrayList<>();
        try (DirectoryStream<Path> blocks = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
            for (Path block : blocks) {
                Path loop = block.resolve("loop");
                Optional<String> backingFile = attribute(loop.resolve("backing_file"));
                if (backingFile.isPresent()
                        && names.contains(backingFile.get().replaceFirst(DELETED + "$", ""))
                        && attribute(loop.resolve("offset")).equals(Optional.of(Long.toString(offset)))
                        && attribute(loop.resolve("sizelimit")).equals(Optional.of(Long.toString(size)))) {
                    devices.add("/dev/" + block.getFileName());
                }
            }
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.CLEANUP_FAILED, "could not list the loop devices in " + SYS_BLOCK + ": " + e, e);
        }
        return devices;
    }

    /**
     * A sysfs attribute without its closing newline; empty when the device is not attached, or went meanwhile: a
     * device another process detaches between the open and the read fails the read with {@code ENXIO} ("No such
     * device"), a plain {@link IOException}, where one detached before the open has no such file.
     */
    private static Optional<String> attribute(Path file) {
        try {
            String value = Files.readString(file);
            return Optional.of(value.endsWith("\n") ? value.substring(0, value.length() - 1) : value);
        } catch (IOException e) {
            return Optional.empty();
        }
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
                throw new InjectException(
                        ErrorCode.CLEANUP_FAILED,
                        device + " still holds its backing file " + DETACH_WAIT.toSeconds()
                                + " s after it was detached");
            }
            Thread.sleep(1);
        }
    }
}
