package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.FuseExport;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.image.DiskImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The nbd transport for hosts without the nbd kernel module: qemu-nbd serves the image on a private unix socket
 * ({@link ServedImage}) and libnbd's nbdfuse exposes it as a file, which the loop path then mounts. Both run as
 * children of the JVM. Closing unmounts the FUSE file (nbdfuse exits) and stops qemu-nbd; each must exit cleanly.
 */
final class UserspaceNbdTransport implements NbdTransport {
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
            ServedImage served =
                    ServedImage.serve(image, ServedImage.Lifetime.UNTIL_CLOSED, workBase, readyTimeout, resources);
            cleanup.push("stop serving " + image, served::close);
            Path mountPoint = Files.createDirectory(served.work().resolve("export"));
            resources.take(
                    cleanup,
                    new FuseExport(mountPoint),
                    () -> HelperProcess.start(
                            "nbdfuse",
                            List.of(
                                    "nbdfuse",
                                    "-P",
                                    served.work().resolve("nbdfuse.pid").toString(),
                                    mountPoint.resolve("disk").toString(),
                                    "--unix",
                                    served.socket().toString()),
                            served.work().resolve("nbdfuse.pid"),
                            readyTimeout),
                    ServedImage::expectCleanExit);
            return new ExposedDisk(mountPoint.resolve("disk"), cleanup.handOver());
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not prepare the nbd work directory: " + e, e);
        }
    }
}
