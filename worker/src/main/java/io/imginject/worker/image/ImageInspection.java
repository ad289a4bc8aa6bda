package io.imginject.worker.image;

import io.imginject.protocol.ImageFormat;
import java.util.Optional;

/** What vouches for an image held open before any handler opens it: its format and every file it names. */
public interface ImageInspection {

    /**
     * The image held open as {@code image}, in {@code requested} format or the one its header shows, with every file
     * of its backing chain opened and vetted; the caller keeps {@code image}.
     */
    DiskImage inspect(HeldImageFile image, Optional<ImageFormat> requested);
}
