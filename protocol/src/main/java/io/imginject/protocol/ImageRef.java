package io.imginject.protocol;

import java.util.Optional;

/**
 * The disk image a request is about.
 *
 * @param path absolute path of the image file on the worker's host
 * @param format the image format, or empty to have the worker detect it
 * @param partition which filesystem of the image to inject into
 */
public record ImageRef(String path, Optional<ImageFormat> format, PartitionSelector partition) {

    public static ImageRef of(String path) {
        return new ImageRef(path, Optional.empty(), new PartitionSelector.FindRoot());
    }

    public ImageRef withFormat(ImageFormat newFormat) {
        return new ImageRef(path, Optional.of(newFormat), partition);
    }

    public ImageRef withPartition(PartitionSelector newPartition) {
        return new ImageRef(path, format, newPartition);
    }
}
