package io.imginject.worker.disk;

import java.util.Optional;

/**
 * What blkid finds in a region of a disk: the filesystem's type, and its UUID and label where it has them.
 *
 * @param type as blkid names it ("ext4", "vfat", ...)
 */
public record ProbedFilesystem(String type, Optional<String> uuid, Optional<String> label) {}
