package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Hands out free kernel nbd devices, never one device to two jobs, across every worker process on the host.
 * A device is free when the kernel shows no server on it ({@code /sys/block/nbdN/pid} is absent) and no worker
 * holds its lock file; the lock is an OS file lock, so a worker that dies releases its devices. The scan starts at
 * a random device so workers do not all contend for nbd0.
 */
final class NbdDevicePool {
    private static final Pattern DEVICE = Pattern.compile("nbd[0-9]+");

    /** Devices leased in this JVM: never opened again here, since closing a second channel would drop the lock. */
    private static final Set<Path> LEASED_HERE = ConcurrentHashMap.newKeySet();

    private final Path sysBlock;
    private final Path devices;
    private final Path lockDirectory;

    /**
     * @param sysBlock the kernel's {@code /sys/block}
     * @param devices where device nodes live, {@code /dev}
     * @param lockDirectory where the per-device lock files are kept; shared by the host's workers
     */
    NbdDevicePool(Path sysBlock, Path devices, Path lockDirectory) {
        this.sysBlock = sysBlock;
        this.devices = devices;
        this.lockDirectory = lockDirectory;
    }

    /** A device held for one job; closing releases it. */
    interface Lease extends AutoCloseable {
        Path device();

        /** Where the kernel shows the pid of the device's server once it is connected. */
        Path serverPidFile();

        @Override
        void close();
    }

    /** Whether the kernel has nbd devices at all. */
    boolean kernelSupportsNbd() {
        return Files.isDirectory(sysBlock.resolve("nbd0"));
    }

    /**
     * A free device, locked for the caller.
     *
     * @throws InjectException {@code DEVICE_BUSY} when every device is in use
     */
    Lease lease() {
        List<String> names = deviceNames();
        if (names.isEmpty()) {
            throw new InjectException(
                    ErrorCode.HANDLER_UNAVAILABLE, "the kernel has no nbd devices (" + sysBlock + "/nbd0 is missing)");
        }
        int start = ThreadLocalRandom.current().nextInt(names.size());
        for (int i = 0; i < names.size(); i++) {
            String name = names.get((start + i) % names.size());
            if (hasServer(name)) {
                continue;
            }
            Lease lease = tryLock(name);
            if (lease == null) {
                continue;
            }
            if (hasServer(name)) {
                lease.close();
                continue;
            }
            return lease;
        }
        throw new InjectException(ErrorCode.DEVICE_BUSY, "all " + names.size() + " nbd devices are in use");
    }

    private List<String> deviceNames() {
        List<String> names = new ArrayList<>();
        try (Stream<Path> list = Files.list(sysBlock)) {
            list.map(p -> p.getFileName().toString())
                    .filter(n -> DEVICE.matcher(n).matches())
                    .forEach(names::add);
        } catch (IOException e) {
            return names;
        }
        names.sort(Comparator.comparingInt(n -> Integer.parseInt(n.substring(3))));
        return names;
    }

    private boolean hasServer(String name) {
        return Files.exists(sysBlock.resolve(name).resolve("pid"));
    }

    private Lease tryLock(String name) {
        Path lockFile = lockDirectory.resolve(name + ".lock").toAbsolutePath().normalize();
        if (!LEASED_HERE.add(lockFile)) {
            return null;
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(lockDirectory);
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                LEASED_HERE.remove(lockFile);
                return null;
            }
            FileChannel held = channel;
            return new Lease() {
                @Override
                public Path device() {
                    return devices.resolve(name);
                }

                @Override
                public Path serverPidFile() {
                    return sysBlock.resolve(name).resolve("pid");
                }

                @Override
                public void close() {
                    try {
                        held.close();
                    } catch (IOException ignored) {
                        // closing the channel drops the lock whatever close reports
                    } finally {
                        LEASED_HERE.remove(lockFile);
                    }
                }
            };
        } catch (IOException e) {
            closeQuietly(channel);
            LEASED_HERE.remove(lockFile);
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR,
                    "could not lock nbd device " + name + " in " + lockDirectory + ": " + e,
                    e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to release beyond the channel itself
            }
        }
    }
}
