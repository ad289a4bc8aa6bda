package io.imginject.worker.image;

import io.imginject.protocol.ImageFormat;
import java.nio.file.Path;

/**
 * An image the worker has located and is allowed to open.
 *
 * @param path the image's real path: symlinks resolved, inside an image root, a regular file
 * @param format its format, as the request gave it or as detected
 */
public record DiskImage(Path path, ImageFormat format) {
    @Override
    public String toString() {
        return path + " (" + format + ")";
    }
}
