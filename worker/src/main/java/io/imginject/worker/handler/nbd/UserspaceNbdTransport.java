package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.HeldResource;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.image.DiskImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The nbd transport for hosts without the nbd kernel module: qemu-nbd serves the image on a private unix socket
 * ({@link ServedImage}) and libnbd's nbdfuse exposes it as a file, which the loop path then mounts. Both run as
 * children of the JVM. Closing unmounts the FUSE file (nbdfuse exits) and stops qemu-nbd.
 */
final class UserspaceNbdTransport implements NbdTransport {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

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
            ServedImage served = ServedImage.serve(image, ServedImage.Lifetime.UNTIL_CLOSED, workBase, readyTimeout, journal);
            cleanup.push("stop serving " + image, served::close);
            Path mountPoint = Files.createDirectory(served.work().resolve("export"));
            ResourceJournal.Entry fuseEntry = journal.acquired(HeldResource.fuse(mountPoint));
            HelperProcess nbdfuse;
            try {
                nbdfuse = HelperProcess.start("nbdfuse", List.of("nbdfuse", "-P", served.work().resolve("nbdfuse.pid").toString(),
                        mountPoint.resolve("disk").toString(), "--unix", served.socket().toString()), served.work().resolve("nbdfuse.pid"),
                        readyTimeout);
            } catch (RuntimeException e) {
                fuseEntry.released();
                throw e;
            }
            cleanup.push("unmount nbdfuse at " + mountPoint, () -> {
                mounts.unmountFuse(mountPoint);
                fuseEntry.released();
                ServedImage.expectCleanExit("nbdfuse", nbdfuse.awaitExit(EXIT_TIMEOUT), nbdfuse);
            });
            return new ExposedDisk(mountPoint.resolve("disk"), cleanup.handOver());
        } catch (IOException e) {
            throw cleanup.releaseAfter(new InjectException(ErrorCode.INTERNAL_ERROR, "could not prepare the nbd work directory: " + e, e));
        } catch (RuntimeException e) {
            throw cleanup.releaseAfter(e);
        }
    }
}
