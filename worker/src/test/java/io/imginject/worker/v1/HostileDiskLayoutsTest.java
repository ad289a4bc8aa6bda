package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.MountWatch;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition tables and fstabs an image's owner wrote to make the host mount the same bytes twice, read past the
 * disk, trip the worker over odd text, or panic the host kernel on the first filesystem error.
 */
@ExtendWith(NoHostLeaks.class)
class HostileDiskLayoutsTest {
    private static final String BOOT_FSTAB =
            "LABEL=root / auto defaults 0 1\nLABEL=" + TestImages.GPT_BOOT_LABEL + " %s ext4 defaults 0 2\n";

    @TempDir
    Path directory;

    @Test
    void every_host_mount_of_an_ext_filesystem_says_errors_remount_ro_whatever_its_superblock_says() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(),
                    "continue.img",
                    Layout.GPT,
                    Fs.EXT4,
                    GuestTree.linuxRoot()
                            .file("/etc/fstab", BOOT_FSTAB.formatted("/boot"), 0644, 0, 0)
                            .dir("/boot", 0755, 0, 0));
            superblockSaysContinueOnErrors(image);
            superblockSaysContinueOnErrors(TestImages.gptBootFilesystem(image));

            InjectionReply reply;
            List<String> mounts;
            try (MountWatch watch = MountWatch.under(directory.resolve("run"))) {
                reply = worker.call(Requests.net(image.path()));
                mounts = watch.mounts();
            }

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
            assertThat(mounts)
                    .as("the probing mounts (ro), the root and /boot (rw)")
                    .hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(line -> assertThat(line).contains(" - ext4 ").contains("errors=remount-ro"));
            assertThat(mounts)
                    .anySatisfy(line -> assertThat(line.split(" ", -1)[5]).startsWith("ro,"));
        }
    }

    @Test
    void an_fstab_mountpoint_written_with_a_trailing_slash_is_that_directory() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(),
                    "slash.img",
                    Layout.GPT,
                    Fs.EXT4,
                    GuestTree.linuxRoot()
                            .file("/etc/fstab", BOOT_FSTAB.formatted("//boot//"), 0644, 0, 0)
                            .dir("/boot", 0755, 0, 0));

            InjectionReply reply = worker.call(InjectionRequest.of(
                    ImageRef.of(image.path().toString()),
                    Injections.none().withFiles(List.of(FileInjection.of("/boot/grub.cfg", Requests.utf8("x\n"))))));

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
            try (ImageReader boot = ImageReader.open(TestImages.gptBootFilesystem(image))) {
                assertThat(boot.read("/grub.cfg")).isEqualTo("x\n");
            }
        }
    }

    @Test
    void fstab_mountpoints_no_guest_could_mount_are_left_out_and_never_fail_the_job() throws Exception {
        String odd = "LABEL=root / auto defaults 0 1\n"
                + "LABEL=boot /boot/../../x ext4 defaults 0 2\n"
                + "LABEL=boot relative ext4 defaults 0 2\n"
                + "LABEL=boot /a\\000b ext4 defaults\n"
                + "LABEL=boot /" + "n".repeat(300) + " ext4 defaults\n"
                + "LABEL=boot /\u00ff\u00fe ext4\n";
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(),
                    "odd.img",
                    Layout.GPT,
                    Fs.EXT4,
                    GuestTree.linuxRoot().file("/etc/fstab", odd, 0644, 0, 0));

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        }
    }

    @Test
    void two_table_entries_over_the_same_bytes_are_refused() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP, HandlerName.NBD), 1)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "overlap.img", Layout.MBR, Fs.EXT4, GuestTree.linuxRoot());
            copyMbrEntry(image.path(), 0, 2);

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.PARTITION_TABLE_INVALID);
            assertThat(reply.error().message()).contains("partitions 1 and 3 overlap");
        }
    }

    @Test
    void a_table_entry_that_reaches_past_the_end_of_the_disk_is_refused() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "past-end.img", Layout.MBR, Fs.EXT4, GuestTree.linuxRoot());
            try (RandomAccessFile disk = new RandomAccessFile(image.path().toFile(), "rw")) {
                ByteBuffer sectors =
                        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, Integer.MAX_VALUE);
                disk.seek(446 + 16 + 12);
                disk.write(sectors.array());
            }

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.PARTITION_TABLE_INVALID);
            assertThat(reply.error().message()).contains("partition 2").contains("past the end");
        }
    }

    @Test
    void a_filesystem_that_reports_corruption_during_the_job_ends_it_with_filesystem_error() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "corrupt.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
            overwriteDirectoryBlock(image, "/etc");

            InjectionReply reply = worker.call(InjectionRequest.of(
                    ImageRef.of(image.path().toString())
                            .withPartition(new PartitionSelector.Numbered(image.rootPartition())),
                    Injections.none().withKey(SshPublicKey.parse(Requests.KEY)).withNet("auto lo\n")));

            assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.FILESYSTEM_ERROR);
            assertThat(reply.error().message())
                    .contains("reported corruption during key")
                    .contains("fsck");
            assertThat(reply.items().get("key").code()).isEqualTo(ErrorCode.FILESYSTEM_ERROR);
            assertThat(reply.items().get("net").status())
                    .as("nothing more is written")
                    .isEqualTo(Outcome.SKIPPED);
        }
    }

    /** Fills the first data block of the directory {@code path} with noise, so that its checksum fails in the kernel. */
    private static void overwriteDirectoryBlock(TestImages.Built filesystem, String path) throws Exception {
        String device = filesystem.path() + "?offset=" + filesystem.offset();
        long block = Long.parseLong(
                Commands.run("debugfs", "-R", "blocks " + path, device).strip().split("\\s+", -1)[0]);
        String blockSize = Commands.run(
                        "sh", "-c", "dumpe2fs -h \"$1\" 2>/dev/null | sed -n 's/^Block size: *//p'", "dumpe2fs", device)
                .strip();
        byte[] noise = new byte[Integer.parseInt(blockSize)];
        new Random(1).nextBytes(noise);
        try (RandomAccessFile disk = new RandomAccessFile(filesystem.path().toFile(), "rw")) {
            disk.seek(filesystem.offset() + block * noise.length);
            disk.write(noise);
        }
    }

    private static void superblockSaysContinueOnErrors(TestImages.Built filesystem) {
        Commands.run("tune2fs", "-e", "continue", filesystem.path() + "?offset=" + filesystem.offset());
    }

    private static void copyMbrEntry(Path image, int from, int to) throws Exception {
        try (RandomAccessFile disk = new RandomAccessFile(image.toFile(), "rw")) {
            byte[] entry = new byte[16];
            disk.seek(446 + 16L * from);
            disk.readFully(entry);
            disk.seek(446 + 16L * to);
            disk.write(entry);
        }
    }
}
