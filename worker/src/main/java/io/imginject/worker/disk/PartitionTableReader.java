package io.imginject.worker.disk;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.HeldChannels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Reads the MBR or GPT partition table of a raw disk in userspace, since the host kernel parses none. Every
 * offset and count read from the disk is checked before use: a hostile table yields {@code IMAGE_CORRUPT}, never
 * a read outside the image or an endless walk. Entries that overlap or reach past the end of the disk are refused
 * ({@code PARTITION_TABLE_INVALID}): two entries over the same bytes would be mounted read-write twice. At most
 * {@value #MAX_PARTITIONS} partitions are read ({@code IMAGE_LIMIT_EXCEEDED} beyond), since the worker probes each. GPT headers and entry arrays are checked by CRC, with the backup
 * header as fallback. Disks are taken to have 512-byte sectors.
 */
public final class PartitionTableReader {
    static final int SECTOR = 512;
    private static final int MAX_LOGICAL_PARTITIONS = 128;
    private static final int MAX_GPT_ENTRIES = 1024;
    static final int MAX_PARTITIONS = 128;
    private static final byte[] GPT_SIGNATURE = "EFI PART".getBytes(StandardCharsets.US_ASCII);
    private static final Set<Integer> EXTENDED_TYPES = Set.of(0x05, 0x0F, 0x85);
    private static final int PROTECTIVE_TYPE = 0xEE;

    private final FileChannel disk;
    private final long diskSize;

    private PartitionTableReader(FileChannel disk, long diskSize) {
        this.disk = disk;
        this.diskSize = diskSize;
    }

    /**
     * The partition table of the raw disk at {@code image}, a file or a block device of {@code size} bytes;
     * {@link PartitionTable#none()} if it has none.
     */
    public static PartitionTable read(Path image, long size) {
        try {
            return HeldChannels.read(image, disk -> new PartitionTableReader(disk, size).read());
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT, "could not read the partition table: " + e.getMessage(), e);
        }
    }

    private PartitionTable read() throws IOException {
        if (diskSize < 2 * SECTOR) {
            return PartitionTable.none();
        }
        ByteBuffer mbr = sector(0);
        if ((mbr.get(510) & 0xFF) != 0x55 || (mbr.get(511) & 0xFF) != 0xAA) {
            return PartitionTable.none();
        }
        List<MbrEntry> entries = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            MbrEntry entry = MbrEntry.at(mbr, i);
            if (entry.status() != 0x00 && entry.status() != 0x80) {
                return PartitionTable.none();
            }
            entries.add(entry);
        }
        if (entries.stream().anyMatch(e -> e.type() == PROTECTIVE_TYPE)) {
            return gpt();
        }
        List<PartitionTable.Partition> partitions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            MbrEntry entry = entries.get(i);
            if (entry.isUnused()) {
                continue;
            }
            if (EXTENDED_TYPES.contains(entry.type())) {
                logicalPartitions(entry.startLba(), partitions);
            } else {
                partitions.add(checked(i + 1, entry.startLba(), entry.sectors()));
            }
        }
        return table(PartitionTable.Scheme.MBR, partitions);
    }

    private void logicalPartitions(long extendedStart, List<PartitionTable.Partition> partitions) throws IOException {
        long ebr = extendedStart;
        Set<Long> seen = new HashSet<>();
        int number = 5;
        while (ebr != 0 && seen.add(ebr)) {
            if (number - 4 > MAX_LOGICAL_PARTITIONS) {
                throw corrupt("the MBR's extended partition chains more than " + MAX_LOGICAL_PARTITIONS
                        + " logical partitions");
            }
            if (ebr > diskSize / SECTOR - 1) {
                throw corrupt("the extended boot record at sector " + ebr + " lies outside the image");
            }
            ByteBuffer sector = sector(ebr);
            if ((sector.get(510) & 0xFF) != 0x55 || (sector.get(511) & 0xFF) != 0xAA) {
                throw corrupt("the extended boot record at sector " + ebr + " has no boot signature");
            }
            MbrEntry logical = MbrEntry.at(sector, 0);
            MbrEntry next = MbrEntry.at(sector, 1);
            if (!logical.isUnused()) {
                partitions.add(checked(number++, ebr + logical.startLba(), logical.sectors()));
            }
            ebr = next.isUnused() || !EXTENDED_TYPES.contains(next.type()) ? 0 : extendedStart + next.startLba();
        }
    }

    private PartitionTable gpt() throws IOException {
        ByteBuffer header = validGptHeader(1);
        if (header == null) {
            header = validGptHeader(diskSize / SECTOR - 1);
        }
        if (header == null) {
            throw corrupt("the disk has a protective MBR but neither its primary nor its backup GPT header is valid");
        }
        long entriesLba = header.getLong(72);
        long count = Integer.toUnsignedLong(header.getInt(80));
        long entrySize = Integer.toUnsignedLong(header.getInt(84));
        if (count > MAX_GPT_ENTRIES) {
            throw new InjectException(
                    ErrorCode.IMAGE_LIMIT_EXCEEDED,
                    "the GPT header declares " + count + " entries; the worker reads at most " + MAX_GPT_ENTRIES);
        }
        if (entrySize < 128 || entrySize > 4096 || entrySize % 8 != 0) {
            throw corrupt("the GPT header declares " + count + " entries of " + entrySize + " bytes");
        }
        long bytes = count * entrySize;
        if (entriesLba < 1 || entriesLba > diskSize / SECTOR || entriesLba * SECTOR + bytes > diskSize) {
            throw corrupt("the GPT entry array lies outside the disk");
        }
        ByteBuffer entries = readAt(entriesLba * SECTOR, (int) bytes);
        CRC32 crc = new CRC32();
        crc.update(entries.duplicate());
        if ((int) crc.getValue() != header.getInt(88)) {
            throw corrupt("the GPT entry array fails its CRC check");
        }
        List<PartitionTable.Partition> partitions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = (int) (i * entrySize);
            if (entries.getLong(at) == 0 && entries.getLong(at + 8) == 0) {
                continue;
            }
            long first = entries.getLong(at + 32);
            long last = entries.getLong(at + 40);
            if (first <= 0 || last < first) {
                throw corrupt("GPT partition " + (i + 1) + " has first sector " + first + " and last sector " + last);
            }
            partitions.add(checked(i + 1, first, last - first + 1));
        }
        return table(PartitionTable.Scheme.GPT, partitions);
    }

    /** The table, once no two of its partitions share a byte and there are not more than the worker reads. */
    private static PartitionTable table(PartitionTable.Scheme scheme, List<PartitionTable.Partition> partitions) {
        if (partitions.size() > MAX_PARTITIONS) {
            throw new InjectException(
                    ErrorCode.IMAGE_LIMIT_EXCEEDED,
                    "the " + scheme + " table lists " + partitions.size() + " partitions; the worker reads at most "
                            + MAX_PARTITIONS);
        }
        List<PartitionTable.Partition> byOffset = partitions.stream()
                .sorted(Comparator.comparingLong(PartitionTable.Partition::offset))
                .toList();
        for (int i = 1; i < byOffset.size(); i++) {
            PartitionTable.Partition before = byOffset.get(i - 1);
            PartitionTable.Partition after = byOffset.get(i);
            if (after.offset() < before.offset() + before.size()) {
                int low = Math.min(before.number(), after.number());
                int high = Math.max(before.number(), after.number());
                throw invalid("the " + scheme + " table's partitions " + low + " and " + high
                        + " overlap: the same bytes would be" + " mounted twice");
            }
        }
        return new PartitionTable(scheme, partitions);
    }

    /** The GPT header at {@code lba}, or null if there is none there or it fails its checks. */
    private ByteBuffer validGptHeader(long lba) throws IOException {
        if (lba < 1 || (lba + 1) * SECTOR > diskSize) {
            return null;
        }
        ByteBuffer header = sector(lba);
        for (int i = 0; i < GPT_SIGNATURE.length; i++) {
            if (header.get(i) != GPT_SIGNATURE[i]) {
                return null;
            }
        }
        int size = header.getInt(12);
        if (size < 92 || size > SECTOR) {
            return null;
        }
        int stored = header.getInt(16);
        byte[] copy = new byte[size];
        header.get(0, copy);
        copy[16] = copy[17] = copy[18] = copy[19] = 0;
        CRC32 crc = new CRC32();
        crc.update(copy);
        return (int) crc.getValue() == stored ? header : null;
    }

    private PartitionTable.Partition checked(int number, long startLba, long sectors) {
        if (startLba <= 0
                || sectors <= 0
                || startLba > Long.MAX_VALUE / SECTOR - sectors
                || (startLba + sectors) * SECTOR > diskSize) {
            throw invalid("partition " + number + " (sectors " + startLba + " + " + sectors
                    + ") reaches past the end of the " + diskSize + "-byte disk");
        }
        return new PartitionTable.Partition(number, startLba * SECTOR, sectors * SECTOR);
    }

    private ByteBuffer sector(long lba) throws IOException {
        return readAt(lba * SECTOR, SECTOR);
    }

    private ByteBuffer readAt(long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (disk.read(buffer, position + buffer.position()) < 0) {
                throw corrupt("the image ends inside its partition table");
            }
        }
        return buffer.flip();
    }

    private static InjectException invalid(String message) {
        return new InjectException(ErrorCode.PARTITION_TABLE_INVALID, message);
    }

    private static InjectException corrupt(String message) {
        return new InjectException(ErrorCode.IMAGE_CORRUPT, message);
    }

    /** One 16-byte entry of an MBR or EBR. */
    private record MbrEntry(int status, int type, long startLba, long sectors) {
        static MbrEntry at(ByteBuffer sector, int index) {
            int at = 446 + index * 16;
            return new MbrEntry(
                    sector.get(at) & 0xFF,
                    sector.get(at + 4) & 0xFF,
                    Integer.toUnsignedLong(sector.getInt(at + 8)),
                    Integer.toUnsignedLong(sector.getInt(at + 12)));
        }

        boolean isUnused() {
            return type == 0 || sectors == 0;
        }
    }
}
