package io.imginject.worker.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.HostRequirements;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Partition tables written by sfdisk are read as the kernel would number them; damaged ones are refused. */
class PartitionTableReaderTest {
    @TempDir
    Path directory;

    Path disk;

    @BeforeEach
    void blankDisk() {
        HostRequirements.tools("sfdisk", "truncate");
        disk = directory.resolve("disk.img");
        Commands.run("truncate", "-s", "64M", disk.toString());
    }

    void sfdisk(String script) throws Exception {
        Path file = Files.writeString(directory.resolve("script"), script);
        Commands.run("sh", "-c", "sfdisk -q \"$1\" < \"$2\"", "sh", disk.toString(), file.toString());
    }

    @Test
    void a_disk_without_a_table_has_no_partitions() throws Exception {
        assertThat(PartitionTableReader.read(disk, Files.size(disk))).isEqualTo(PartitionTable.none());
    }

    @Test
    void gpt_partitions_are_numbered_by_entry() throws Exception {
        sfdisk("label: gpt\nstart=2048, size=20480, type=linux\nstart=22528, size=20480, type=linux\n");

        PartitionTable table = PartitionTableReader.read(disk, Files.size(disk));

        assertThat(table.scheme()).isEqualTo(PartitionTable.Scheme.GPT);
        assertThat(table.partitions())
                .containsExactly(
                        new PartitionTable.Partition(1, 2048L * 512, 20480L * 512),
                        new PartitionTable.Partition(2, 22528L * 512, 20480L * 512));
    }

    @Test
    void mbr_logical_partitions_inside_an_extended_one_are_numbered_from_five() throws Exception {
        sfdisk("""
                label: dos
                start=2048, size=10240, type=83
                start=12288, size=100000, type=5
                start=14336, size=10240, type=83
                start=26624, size=10240, type=83
                """);

        PartitionTable table = PartitionTableReader.read(disk, Files.size(disk));

        assertThat(table.scheme()).isEqualTo(PartitionTable.Scheme.MBR);
        assertThat(table.partitions())
                .extracting(PartitionTable.Partition::number)
                .containsExactly(1, 5, 6);
        assertThat(table.partition(6)).hasValue(new PartitionTable.Partition(6, 26624L * 512, 10240L * 512));
    }

    @Test
    void a_damaged_primary_gpt_header_falls_back_to_the_backup() throws Exception {
        sfdisk("label: gpt\nstart=2048, size=20480, type=linux\n");
        overwrite(512 + 24, new byte[] {9, 9, 9});

        assertThat(PartitionTableReader.read(disk, Files.size(disk)).partitions())
                .hasSize(1);
    }

    @Test
    void a_gpt_with_both_headers_damaged_is_corrupt() throws Exception {
        sfdisk("label: gpt\nstart=2048, size=20480, type=linux\n");
        overwrite(512 + 24, new byte[] {9});
        overwrite(Files.size(disk) - 512 + 24, new byte[] {9});

        assertCorrupt("neither its primary nor its backup GPT header is valid");
    }

    @Test
    void a_partition_reaching_past_the_end_of_the_image_is_refused() throws Exception {
        sfdisk("label: dos\nstart=2048, size=10240, type=83\n");
        Commands.run("truncate", "-s", "2M", disk.toString());

        long size = Files.size(disk);
        assertThatThrownBy(() -> PartitionTableReader.read(disk, size))
                .hasMessageContaining(
                        "partition 1 (sectors 2048 + 10240) reaches past the end of the 2097152-byte disk")
                .extracting(e -> ((InjectException) e).code())
                .isEqualTo(ErrorCode.PARTITION_TABLE_INVALID);
    }

    @Test
    void a_primary_partition_over_a_logical_one_is_refused() throws Exception {
        sfdisk(
                "label: dos\nstart=2048, size=4096, type=83\nstart=8192, size=100000, type=5\nstart=10240, size=2048, type=83\n");
        byte[] startAtSector10240 = {0x00, 0x28, 0x00, 0x00};
        overwrite(446 + 8, startAtSector10240);

        long size = Files.size(disk);
        assertThatThrownBy(() -> PartitionTableReader.read(disk, size))
                .hasMessageContaining("partitions 1 and 5 overlap")
                .extracting(e -> ((InjectException) e).code())
                .isEqualTo(ErrorCode.PARTITION_TABLE_INVALID);
    }

    @Test
    void an_extended_partition_chain_that_loops_ends() throws Exception {
        sfdisk("label: dos\nstart=2048, size=100000, type=5\nstart=4096, size=2048, type=83\n");
        long firstEbr = 2048L * 512;
        byte[] linkToItself = {0, 0, 0, 0, 0x05, 0, 0, 0, /* relative start */ 0, 0, 0, 0, /* sectors */ 1, 0, 0, 0};
        overwrite(firstEbr + 446 + 16, linkToItself);

        assertThat(PartitionTableReader.read(disk, Files.size(disk)).partitions())
                .extracting(PartitionTable.Partition::number)
                .containsExactly(5);
    }

    void overwrite(long position, byte[] bytes) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.seek(position);
            file.write(bytes);
        }
    }

    void assertCorrupt(String messagePart) throws Exception {
        long size = Files.size(disk);
        assertThatThrownBy(() -> PartitionTableReader.read(disk, size))
                .isInstanceOf(InjectException.class)
                .hasMessageContaining(messagePart)
                .extracting(e -> ((InjectException) e).code())
                .isEqualTo(ErrorCode.IMAGE_CORRUPT);
    }
}
