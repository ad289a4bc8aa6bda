package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.FuseExport;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.HelperProcesses;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.WorkDirectory;
import io.imginject.worker.image.DiskImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * The nbd transport for hosts without the nbd kernel module: qemu-nbd serves the image on a private unix socket
 * and libnbd's nbdfuse exposes it as a file, which the loop path then mounts. Both run as children of the JVM.
 * Closing unmounts the FUSE file (nbdfuse exits) and stops qemu-nbd, which flushes the image as it exits; each must
 * exit cleanly.
 */
final class UserspaceNbdTransport implements NbdTransport {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path workBase;
    private final Duration readyTimeout;
    private final HostResources resources;

    /** @param workBase a directory only root can enter, for sockets, pid files and FUSE mount points */
    UserspaceNbdTransport(Path workBase, Duration readyTimeout, HostResources resources) {
        this.workBase = workBase;
        this.readyTimeout = readyTimeout;
        this.resources = resources;
    }

    @Override
    public ExposedDisk expose(DiskImage image) {
        try (Cleanup cleanup = new Cleanup()) {
            Path work = workBase.resolve("nbd-" + HexFormat.of().formatHex(randomBytes()));
            resources.take(cleanup, new WorkDirectory(work), () -> Files.createDirectory(work,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
            Path socket = work.resolve("nbd.sock");
            resources.take(cleanup, new HelperProcesses(work), () -> serve(image, work, socket),
                    qemuNbd -> expectCleanExit(qemuNbd));
            Path mountPoint = Files.createDirectory(work.resolve("export"));
            resources.take(cleanup, new FuseExport(mountPoint), () -> HelperProcess.start("nbdfuse", List.of("nbdfuse", "-P",
                    work.resolve("nbdfuse.pid").toString(), mountPoint.resolve("disk").toString(), "--unix", socket.toString()),
                    work.resolve("nbdfuse.pid"), readyTimeout), nbdfuse -> expectCleanExit(nbdfuse));
            return new ExposedDisk(mountPoint.resolve("disk"), cleanup.handOver());
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not prepare the nbd work directory: " + e, e);
        }
    }

    /** Starts qemu-nbd serving {@code image} on {@code socket}. */
    private HelperProcess serve(DiskImage image, Path work, Path socket) {
        try {
            return HelperProcess.start("qemu-nbd", List.of("qemu-nbd", "--format=" + image.format().qemuName(), "--socket=" + socket,
                    "--pid-file=" + work.resolve("qemu-nbd.pid"), "--persistent", "--discard=unmap", image.path().toString()),
                    work.resolve("qemu-nbd.pid"), readyTimeout);
        } catch (CommandFailedException e) {
            throw QemuNbdErrors.of(image, e);
        }
    }

    /**
     * A helper must exit cleanly once what it serves is released, unless the job's deadline ended it: then its death
     * is expected.
     */
    private static void expectCleanExit(HelperProcess helper) throws InterruptedException {
        int status = helper.awaitExit(EXIT_TIMEOUT);
        if (status != 0 && !helper.endedByDeadline()) {
            throw new IllegalStateException(helper.name() + " exited with status " + status + ": " + helper.stderr());
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
