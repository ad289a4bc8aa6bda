package io.imginject.worker.handler;

import io.imginject.protocol.FilesystemDriver;
import io.imginject.worker.handler.fuse.Fuse2fsSupport;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.ImageTrust;
import java.util.Optional;

/**
 * Which driver reads an image's filesystems where loop and nbd mount them: the host kernel for an image the
 * operator trusts, fuse2fs for every other. Only the operator's trusted image roots decide; a request cannot.
 */
public final class DriverChoice {
    private final ImageTrust trust;
    private final Fuse2fsSupport fuse2fs;

    public DriverChoice(ImageTrust trust, Fuse2fsSupport fuse2fs) {
        this.trust = trust;
        this.fuse2fs = fuse2fs;
    }

    /** The driver for {@code image}'s filesystems. */
    public FilesystemDriver driverFor(DiskImage image) {
        return trust.trusts(image) ? FilesystemDriver.KERNEL : FilesystemDriver.FUSE2FS;
    }

    /** Why {@code image} cannot be read here at all: it is not trusted, and fuse2fs cannot run. */
    public Optional<String> problemFor(DiskImage image) {
        if (driverFor(image) == FilesystemDriver.KERNEL) {
            return Optional.empty();
        }
        return fuse2fs.problem()
                .map(problem ->
                        "the image is not under a trusted image root, so only fuse2fs may read its filesystem, and "
                                + problem);
    }
}
