package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.UnprivilegedUser;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.testing.DelegatingHandler;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.MountWatch;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A worker with the default chain (loop, nbd, guestfs) whose image root holds one trusted directory: a tenant's
 * ext4 image is read by fuse2fs, run without privileges, and no kernel mount of its filesystem shows at any time
 * of the job; a tenant's xfs image goes to guestfs, and no request gets it a kernel mount; a trusted image is
 * mounted by the kernel as before.
 */
@ExtendWith(NoHostLeaks.class)
class UntrustedImagesTest {
    private static final Set<String> KERNEL_FILESYSTEMS = Set.of("ext2", "ext3", "ext4", "xfs", "btrfs");
    private static final List<Map<String, String>> DRIVERS_SEEN = new CopyOnWriteArrayList<>();

    static Path directory;
    static Path trusted;
    static WorkerFixture worker;

    @BeforeAll
    static void aWorkerThatTrustsOneDirectory() throws Exception {
        HostRequirements.root();
        HostRequirements.tools(
                "losetup",
                "blkid",
                "mkfs.ext4",
                "mkfs.xfs",
                "sfdisk",
                "qemu-img",
                "qemu-nbd",
                "nbdfuse",
                "fusermount3",
                "fuse2fs",
                "setpriv",
                "e2fsck");
        directory = Files.createTempDirectory("imginject-untrusted-");
        trusted = Files.createDirectories(directory.resolve("images").resolve("trusted"));
        worker = WorkerFixture.start(
                directory,
                List.of(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS),
                config -> config.trustedImageRoots(List.of(trusted)),
                handler -> new DelegatingHandler(handler) {
                    @Override
                    public OpenGuest open(DiskImage image, PartitionSelector partition) {
                        OpenGuest guest = real.open(image, partition);
                        DRIVERS_SEEN.addAll(runningDrivers());
                        return guest;
                    }
                });
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (worker != null) {
                worker.close();
            }
        } finally {
            if (directory != null) {
                TestImages.deleteTree(directory);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"raw", "qcow2"})
    void an_untrusted_ext4_image_is_injected_with_no_kernel_mount_of_its_filesystem(String format) throws Exception {
        TestImages.Built raw = TestImages.build(
                worker.images(), "tenant-" + format + ".img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        TestImages.Built image = format.equals("qcow2") ? TestImages.toQcow2(raw) : raw;

        Watched job = callWatchingMounts(Requests.everything(image.path()));
        InjectionReply reply = job.reply();
        List<String> mounts = job.mounts();

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.handler()).isEqualTo(format.equals("raw") ? "loop" : "nbd");
        assertThat(last(reply).filesystem()).isEqualTo(FilesystemDriver.FUSE2FS);
        assertThat(mounts)
                .as("the watch saw the job's fuse2fs mounts")
                .anyMatch(line -> type(line).equals("fuse.ext4"));
        assertThat(mounts)
                .as("kernel mounts of a guest filesystem during the job")
                .noneMatch(UntrustedImagesTest::isKernelFilesystem);
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/root/.ssh/authorized_keys")).isEqualTo(Requests.KEY + "\n");
        }
        Fsck.assertClean(image);
    }

    @Test
    void fuse2fs_runs_without_privileges_and_its_user_cannot_write_outside_the_image() throws Exception {
        TestImages.Built image = TestImages.build(
                worker.images(), "tenant-driver.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());
        DRIVERS_SEEN.clear();

        InjectionReply reply = worker.call(Requests.net(image.path()));

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        UnprivilegedUser user = UnprivilegedUser.lookup(
                        WorkerConfig.DEFAULT_FUSE_USER, new ProcessRunner(Duration.ofSeconds(10)))
                .orElseThrow();
        String ids = user.uid() + "\t" + user.uid() + "\t" + user.uid() + "\t" + user.uid();
        String groups = user.gid() + "\t" + user.gid() + "\t" + user.gid() + "\t" + user.gid();
        assertThat(DRIVERS_SEEN).as("fuse2fs while the job ran").isNotEmpty().allSatisfy(status -> {
            assertThat(status.get("Uid")).isEqualTo(ids);
            assertThat(status.get("Gid")).isEqualTo(groups);
            assertThat(status.get("Groups")).isEmpty();
            for (String capabilities : List.of("CapInh", "CapPrm", "CapEff", "CapAmb")) {
                assertThat(status.get(capabilities)).as(capabilities).isEqualTo("0000000000000000");
            }
        });

        Path hostFile = directory.resolve("run").resolve("written-by-the-driver");
        Path systemFile = Path.of("/etc/imginject-written-by-the-driver");
        ProcessRunner runner = new ProcessRunner(Duration.ofSeconds(10));
        for (Path target : List.of(hostFile, systemFile, image.path())) {
            CommandResult write = runner.runAllowingFailure(
                    user.running(List.of("sh", "-c", "echo owned >> \"$0\"", target.toString())));
            assertThat(write.succeeded())
                    .as("the driver's user writing %s: %s", target, write.stderr())
                    .isFalse();
            assertThat(write.stderr()).contains("Permission denied");
        }
        assertThat(hostFile).doesNotExist();
        assertThat(systemFile).doesNotExist();
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/etc/network/interfaces")).isEqualTo("auto lo\n");
        }
        Fsck.assertClean(image);
    }

    @Test
    void an_untrusted_xfs_image_goes_to_guestfs() throws Exception {
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
        TestImages.Built image =
                TestImages.build(worker.images(), "tenant-xfs.img", Layout.WHOLE_DISK, Fs.XFS, GuestTree.linuxRoot());

        Watched job = callWatchingMounts(Requests.net(image.path()));
        InjectionReply reply = job.reply();
        List<String> mounts = job.mounts();

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.handler()).isEqualTo("guestfs");
        assertThat(reply.attempts())
                .extracting(Attempt::handler, Attempt::outcome, Attempt::code, Attempt::filesystem)
                .containsExactly(
                        tuple("loop", Outcome.FAILED, ErrorCode.KERNEL_MOUNT_REFUSED, null),
                        tuple("nbd", Outcome.FAILED, ErrorCode.KERNEL_MOUNT_REFUSED, null),
                        tuple("guestfs", Outcome.OK, null, FilesystemDriver.APPLIANCE));
        assertThat(reply.attempts().get(0).message())
                .contains("not under a trusted image root")
                .contains("xfs");
        assertThat(mounts).noneMatch(UntrustedImagesTest::isKernelFilesystem);
        Fsck.assertClean(image);
    }

    @Test
    void a_request_naming_loop_for_an_untrusted_xfs_image_gets_no_kernel_mount() throws Exception {
        TestImages.Built image =
                TestImages.build(worker.images(), "tenant-xfs-loop.img", Layout.GPT, Fs.XFS, GuestTree.linuxRoot());

        Watched job = callWatchingMounts(Requests.net(image.path()).withHandlers(List.of(HandlerName.LOOP)));
        InjectionReply reply = job.reply();
        List<String> mounts = job.mounts();

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.ERROR);
        assertThat(reply.error().code()).isEqualTo(ErrorCode.KERNEL_MOUNT_REFUSED);
        assertThat(mounts).as("mounts during the job").isEmpty();
        Fsck.assertClean(image);
    }

    @Test
    void an_image_under_a_trusted_root_is_mounted_by_the_kernel_as_before() throws Exception {
        TestImages.Built image = TestImages.build(trusted, "operator.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

        Watched job = callWatchingMounts(Requests.everything(image.path()));
        InjectionReply reply = job.reply();
        List<String> mounts = job.mounts();

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.handler()).isEqualTo("loop");
        assertThat(last(reply).filesystem()).isEqualTo(FilesystemDriver.KERNEL);
        assertThat(mounts).anyMatch(line -> type(line).equals("ext4"));
        Fsck.assertClean(image);
    }

    /** A job's reply, and every mount below the test directory while it ran. */
    private record Watched(InjectionReply reply, List<String> mounts) {}

    private static Watched callWatchingMounts(InjectionRequest request) throws Exception {
        MountWatch watch = MountWatch.under(directory);
        InjectionReply reply;
        try (watch) {
            reply = worker.call(request);
        }
        return new Watched(reply, watch.mounts());
    }

    private static Attempt last(InjectionReply reply) {
        return reply.attempts().get(reply.attempts().size() - 1);
    }

    private static boolean isKernelFilesystem(String mountinfoLine) {
        return KERNEL_FILESYSTEMS.contains(type(mountinfoLine));
    }

    /** The filesystem type of a {@code /proc/self/mountinfo} line. */
    private static String type(String mountinfoLine) {
        String[] after =
                mountinfoLine.substring(mountinfoLine.indexOf(" - ") + 3).split(" ", -1);
        return after[0];
    }

    /** The credentials of every fuse2fs the worker runs now, from {@code /proc/<pid>/status}. */
    private static List<Map<String, String>> runningDrivers() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> p.info()
                        .command()
                        .map(c -> Path.of(c).getFileName().toString().equals("fuse2fs"))
                        .orElse(false))
                .map(p -> credentials(p.pid()))
                .toList();
    }

    private static Map<String, String> credentials(long pid) {
        Map<String, String> status = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                int colon = line.indexOf(':');
                String key = line.substring(0, colon);
                if (List.of("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapAmb")
                        .contains(key)) {
                    status.put(key, line.substring(colon + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not read fuse2fs's status", e);
        }
        return status;
    }
}
