package io.imginject.worker.disk;

/**
 * A byte range of a raw disk that may hold a filesystem: the whole disk, or one partition.
 *
 * @param offset first byte
 * @param size length in bytes
 * @param description "whole disk" or "partition 2", for messages
 */
public record DiskRegion(long offset, long size, String description) {
    public static DiskRegion wholeDisk(long size) {
        return new DiskRegion(0, size, "whole disk");
    }

    public static DiskRegion partition(int number, long offset, long size) {
        return new DiskRegion(offset, size, "partition " + number);
    }

    @Override
    public String toString() {
        return description;
    }
}
