package io.imginject.worker.handler.nbd;

import io.imginject.worker.image.DiskImage;

/** A way to have qemu-nbd serve an image as a raw disk the host can loop-mount. */
interface NbdTransport {

    /**
     * Serves {@code image}, passing its format to qemu explicitly, and returns the raw view. Whatever was started
     * is stopped before a failure is thrown.
     */
    ExposedDisk expose(DiskImage image);
}
