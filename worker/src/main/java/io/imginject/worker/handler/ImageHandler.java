package io.imginject.worker.handler;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.image.DiskImage;
import java.util.Optional;

/** A way to open a disk image and hand back its guest filesystem: loop, nbd or guestfs. */
public interface ImageHandler {

    HandlerName name();

    /**
     * Why this handler cannot take {@code image} on this host (wrong format, a tool or kernel feature missing),
     * or empty if it can. Cheap: no device is attached and nothing is started.
     */
    Optional<String> unavailableReason(DiskImage image);

    /**
     * Opens the filesystem {@code partition} selects. Whatever the handler acquired is released before a failure
     * is thrown; on success the caller must close the result.
     *
     * @throws InjectException why the image could not be opened
     */
    OpenGuest open(DiskImage image, PartitionSelector partition);
}
