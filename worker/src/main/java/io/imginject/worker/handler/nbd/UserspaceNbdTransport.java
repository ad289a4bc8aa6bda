package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.HeldResource;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.image.DiskImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The nbd transport for hosts without the nbd kernel module: qemu-nbd serves the image on a private unix socket
 * and libnbd's nbdfuse exposes it as a file, which the loop path then mounts. Both run as children of the JVM.
 * Closing unmounts the FUSE file (nbdfuse exits) and stops qemu-nbd, which flushes the image as it exits.
 */
final class UserspaceNbdTransport implements NbdTransport {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Mounts mounts;
    private final Path workBase;
    private final Duration readyTimeout;
    private final ResourceJournal journal;

    /** @param workBase a directory only root can enter, for sockets, pid files and FUSE mount points */
    UserspaceNbdTransport(Mounts mounts, Path workBase, Duration readyTimeout, ResourceJournal journal) {
        this.mounts = mounts;
        this.workBase = workBase;
        this.readyTimeout = readyTimeout;
        this.journal = journal;
    }

    @Override
    public ExposedDisk expose(DiskImage image) {
        Cleanup cleanup = new Cleanup();
        try {
            Path work = workBase.resolve("nbd-" + HexFormat.of().formatHex(randomBytes()));
            ResourceJournal.Entry workEntry = journal.acquired(HeldResource.directory(work));
            ResourceJournal.Entry helpers = journal.acquired(HeldResource.helpers(work));
            cleanup.push("remove " + work, workEntry, () -> {
                deleteTree(work);
                helpers.released();
            });
            privateDirectory(work);
            Path socket = work.resolve("nbd.sock");
            HelperProcess qemuNbd;
            try {
                qemuNbd = HelperProcess.start("qemu-nbd", List.of("qemu-nbd", "--format=" + image.format().qemuName(),
                        "--socket=" + socket, "--pid-file=" + work.resolve("qemu-nbd.pid"), "--persistent", "--discard=unmap",
                        image.path().toString()), work.resolve("qemu-nbd.pid"), readyTimeout);
            } catch (CommandFailedException e) {
                throw QemuNbdErrors.of(image, e);
            }
            cleanup.push("stop qemu-nbd (pid " + qemuNbd.pid() + ")", () -> expectCleanExit("qemu-nbd", qemuNbd.stop(EXIT_TIMEOUT), qemuNbd));
            Path mountPoint = Files.createDirectory(work.resolve("export"));
            ResourceJournal.Entry fuseEntry = journal.acquired(HeldResource.fuse(mountPoint));
            HelperProcess nbdfuse;
            try {
                nbdfuse = HelperProcess.start("nbdfuse", List.of("nbdfuse", "-P", work.resolve("nbdfuse.pid").toString(),
                        mountPoint.resolve("disk").toString(), "--unix", socket.toString()), work.resolve("nbdfuse.pid"), readyTimeout);
            } catch (RuntimeException e) {
                fuseEntry.released();
                throw e;
            }
            cleanup.push("unmount nbdfuse at " + mountPoint, () -> {
                mounts.unmountFuse(mountPoint);
                fuseEntry.released();
                expectCleanExit("nbdfuse", nbdfuse.awaitExit(EXIT_TIMEOUT), nbdfuse);
            });
            return new ExposedDisk(mountPoint.resolve("disk"), cleanup.handOver());
        } catch (IOException e) {
            throw cleanup.releaseAfter(new InjectException(ErrorCode.INTERNAL_ERROR, "could not prepare the nbd work directory: " + e, e));
        } catch (RuntimeException e) {
            throw cleanup.releaseAfter(e);
        }
    }

    /** A helper must exit cleanly when stopped, unless the job's deadline ended it: then its death is expected. */
    private static void expectCleanExit(String name, int status, HelperProcess helper) {
        if (status != 0 && !helper.endedByDeadline()) {
            throw new IllegalStateException(name + " exited with status " + status + ": " + helper.stderr());
        }
    }

    private static void privateDirectory(Path directory) throws IOException {
        Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (var walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
