package io.imginject.worker.handler.nbd;

import io.imginject.worker.host.Cleanup;
import java.nio.file.Path;

/**
 * An image that qemu-nbd serves as a raw disk, reachable at {@code path} (a /dev/nbdN device or a FUSE file).
 * Closing stops the helpers and releases the device.
 */
record ExposedDisk(Path path, Cleanup cleanup) implements AutoCloseable {
    @Override
    public void close() {
        cleanup.close();
    }
}
