package io.imginject.worker.disk;

import java.util.List;
import java.util.Optional;

/**
 * The partitions of a raw disk, numbered as Linux numbers them (MBR: 1-4 primary, 5 and up logical; GPT: the
 * entry index plus one).
 *
 * @param scheme which kind of table the disk has
 * @param partitions by number
 */
public record PartitionTable(Scheme scheme, List<Partition> partitions) {

    public enum Scheme {
        NONE,
        MBR,
        GPT
    }

    /** One partition. */
    public record Partition(int number, long offset, long size) {
        public DiskRegion region() {
            return DiskRegion.partition(number, offset, size);
        }
    }

    public static PartitionTable none() {
        return new PartitionTable(Scheme.NONE, List.of());
    }

    public Optional<Partition> partition(int number) {
        return partitions.stream().filter(p -> p.number() == number).findFirst();
    }
}
