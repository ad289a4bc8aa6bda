package io.imginject.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Images that would make qemu open other host files (backing files, external data files, vmdk extents: the
 * CVE-2010-3851 class), and images a running VM holds (qemu's image lock), are refused before anything writes.
 */
@ExtendWith(NoHostLeaks.class)
class ImageSafetyTest {
    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP, HandlerName.NBD),
            1,
            "losetup",
            "mount",
            "blkid",
            "mkfs.ext4",
            "sfdisk",
            "qemu-img",
            "qemu-nbd",
            "nbdfuse",
            "fusermount3",
            "qemu-system-x86_64");

    static WorkerFixture worker() {
        return shared.get();
    }

    static InjectionReply net(Path image) throws Exception {
        return worker().call(Requests.net(image));
    }

    static InjectionReply net(Path image, ImageFormat format) throws Exception {
        return worker().call(Requests.net(image)
                .withImage(ImageRef.of(image.toString()).withFormat(format)));
    }

    static void assertRefused(InjectionReply reply, ErrorCode code, String messagePart) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.ERROR);
        assertThat(reply.error().code()).isEqualTo(code);
        assertThat(reply.error().message()).contains(messagePart);
        assertThat(reply.attempts()).as("nothing may open a refused image").isEmpty();
    }

    @Test
    void a_qcow2_whose_backing_file_is_a_host_file_outside_the_roots() throws Exception {
        Path evil = worker().images().resolve("evil.qcow2");
        Commands.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw", evil.toString());

        assertRefused(
                net(evil, ImageFormat.QCOW2),
                ErrorCode.UNSAFE_BACKING_FILE,
                "the backing file of " + evil + " is refused");
    }

    @Test
    void a_raw_image_whose_guest_wrote_a_qcow2_header_is_still_refused_when_its_format_is_left_to_detection()
            throws Exception {
        Path disguised = worker().images().resolve("disguised.img");
        Commands.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/shadow", "-F", "raw", disguised.toString());

        assertRefused(net(disguised), ErrorCode.UNSAFE_BACKING_FILE, "/etc/shadow");
    }

    @Test
    void
            a_raw_disk_whose_guest_wrote_a_qcow2_header_backed_by_another_tenants_disk_is_refused_and_the_other_disk_is_not_read()
                    throws Exception {
        TestImages.Built victim =
                TestImages.build(worker().images(), "other-tenant.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        Path attacker = worker().images().resolve("tenant.img");
        Commands.run(
                "qemu-img", "create", "-q", "-f", "qcow2", "-b", "other-tenant.img", "-F", "raw", attacker.toString());
        byte[] victimBefore = Files.readAllBytes(victim.path());
        FileTime longAgo = FileTime.from(Instant.parse("2001-01-01T00:00:00Z"));
        Files.setAttribute(victim.path(), "lastAccessTime", longAgo);

        InjectionReply reply = net(attacker);

        assertRefused(reply, ErrorCode.UNSAFE_BACKING_FILE, "detected from");
        assertThat(reply.error().message()).contains("other-tenant.img").contains("must state the format");
        assertThat(Files.getAttribute(victim.path(), "lastAccessTime"))
                .as("the other disk was never read (its atime)")
                .isEqualTo(longAgo);
        assertThat(Files.readAllBytes(victim.path())).isEqualTo(victimBefore);
    }

    @Test
    void a_qcow2_whose_data_file_is_a_fifo_is_refused_quickly_and_nothing_ever_opens_the_fifo() throws Exception {
        Path image = worker().images().resolve("fifo-data.qcow2");
        Path fifo = worker().images().resolve("fifo-data.raw");
        Commands.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + fifo, image.toString(), "16M");
        Files.delete(fifo);
        Commands.run("mkfifo", fifo.toString());

        for (Optional<ImageFormat> format : List.of(Optional.<ImageFormat>empty(), Optional.of(ImageFormat.QCOW2))) {
            InjectionReply reply = callReleasing(image, format, fifo);

            assertRefused(reply, ErrorCode.UNSAFE_BACKING_FILE, fifo.toString());
            assertThat(someoneHoldsOpen(fifo))
                    .as("a process opened the fifo %s", fifo)
                    .isFalse();
        }
    }

    @Test
    void a_vmdk_descriptor_naming_a_host_file_as_its_extent_is_refused_before_qemu_img_opens_it() throws Exception {
        Path descriptor = worker().images().resolve("named.vmdk");
        Path fifo = worker().images().resolve("named-flat.vmdk");
        Commands.run("mkfifo", fifo.toString());
        Files.writeString(descriptor, """
                # Disk DescriptorFile
                version=1
                CID=fffffffe
                parentCID=ffffffff
                createType="monolithicFlat"

                # Extent description
                RW 32768 FLAT "named-flat.vmdk" 0

                ddb.virtualHWVersion = "4"
                """);

        for (Optional<ImageFormat> format : List.of(Optional.<ImageFormat>empty(), Optional.of(ImageFormat.VMDK))) {
            InjectionReply reply = callReleasing(descriptor, format, fifo);

            assertRefused(reply, ErrorCode.UNSAFE_BACKING_FILE, "named-flat.vmdk");
            assertThat(someoneHoldsOpen(fifo))
                    .as("a process opened the fifo %s", fifo)
                    .isFalse();
        }
    }

    @Test
    void
            a_stated_qcow2_whose_backing_vmdk_names_a_fifo_extent_is_vetted_down_the_chain_before_qemu_img_opens_any_of_it()
                    throws Exception {
        Path descriptor = worker().images().resolve("chained.vmdk");
        Path fifo = worker().images().resolve("chained-flat.vmdk");
        Commands.run("mkfifo", fifo.toString());
        Files.writeString(descriptor, """
                # Disk DescriptorFile
                version=1
                createType="monolithicFlat"
                RW 32768 FLAT "chained-flat.vmdk" 0
                """);
        Path overlay = worker().images().resolve("on-vmdk.qcow2");
        Commands.run(
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-b",
                "chained.vmdk",
                "-F",
                "vmdk",
                "-u",
                overlay.toString(),
                "16M");

        InjectionReply reply = callReleasing(overlay, Optional.of(ImageFormat.QCOW2), fifo);

        assertRefused(reply, ErrorCode.UNSAFE_BACKING_FILE, "chained-flat.vmdk");
        assertThat(someoneHoldsOpen(fifo))
                .as("a process opened the fifo %s", fifo)
                .isFalse();
    }

    /**
     * Calls for {@code image} with a deadline of 20 s (refusing an image takes well under a second); if the call
     * does not answer in time, opens {@code fifo} for writing once so whatever blocks on it goes on, then fails.
     */
    static InjectionReply callReleasing(Path image, Optional<ImageFormat> format, Path fifo) throws Exception {
        ImageRef ref =
                format.map(f -> ImageRef.of(image.toString()).withFormat(f)).orElse(ImageRef.of(image.toString()));
        try {
            return worker().client().call(worker().host(), Requests.net(image).withImage(ref), Duration.ofSeconds(20));
        } catch (Exception timedOut) {
            boolean held = someoneHoldsOpen(fifo);
            throw new AssertionError(
                    "no reply within 20 s" + (held ? "; a process was blocked opening " + fifo : ""), timedOut);
        }
    }

    /** Whether a process has {@code fifo} open for reading: a non-blocking open for writing fails with ENXIO when none has. */
    static boolean someoneHoldsOpen(Path fifo) throws Exception {
        Process dd = new ProcessBuilder("dd", "if=/dev/null", "of=" + fifo, "oflag=nonblock", "status=none")
                .redirectErrorStream(true)
                .start();
        String output = new String(dd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (dd.waitFor() == 0) {
            return true;
        }
        assertThat(output).contains("No such device or address");
        return false;
    }

    @Test
    void a_backing_file_of_unrecorded_format_which_qemu_would_have_to_guess() throws Exception {
        TestImages.Built base =
                TestImages.build(worker().images(), "base-unfmt.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        Path overlay = worker().images().resolve("unfmt.qcow2");
        Commands.run(
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-b",
                base.path().toString(),
                "-F",
                "raw",
                overlay.toString());
        forgetBackingFormat(overlay);

        assertRefused(
                net(overlay, ImageFormat.QCOW2),
                ErrorCode.UNSAFE_BACKING_FILE,
                "does not record the format of its backing file");
    }

    @Test
    void a_qcow2_overlay_on_a_base_inside_the_roots_is_injected_and_the_base_is_left_alone() throws Exception {
        TestImages.Built base =
                TestImages.build(worker().images(), "base.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        Path overlay = worker().images().resolve("overlay.qcow2");
        Commands.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.img", "-F", "raw", overlay.toString());
        byte[] baseBefore = Files.readAllBytes(base.path());

        InjectionReply reply = net(overlay, ImageFormat.QCOW2);

        assertThat(reply.isOk()).as("%s", reply).isTrue();
        assertThat(reply.handler()).isEqualTo("nbd");
        assertThat(Files.readAllBytes(base.path())).isEqualTo(baseBefore);
        try (ImageReader guest = ImageReader.open(
                new TestImages.Built(overlay, base.layout(), base.fs(), base.offset(), base.size(), 2))) {
            assertThat(guest.read("/etc/network/interfaces")).isEqualTo("auto lo\n");
        }
    }

    @Test
    void a_vmdk_whose_data_lives_in_separate_extent_files() throws Exception {
        Path vmdk = worker().images().resolve("flat.vmdk");
        Commands.run(
                "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", vmdk.toString(), "16M");

        assertRefused(
                worker().call(Requests.net(vmdk)
                        .withImage(ImageRef.of(vmdk.toString()).withFormat(ImageFormat.VMDK))),
                ErrorCode.UNSAFE_BACKING_FILE,
                "create type \"monolithicFlat\"");
    }

    @Test
    void a_qcow2_with_an_external_data_file() throws Exception {
        Path image = worker().images().resolve("datafile.qcow2");
        Commands.run(
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-o",
                "data_file=" + worker().images().resolve("datafile.raw"),
                image.toString(),
                "16M");

        assertRefused(net(image, ImageFormat.QCOW2), ErrorCode.UNSAFE_BACKING_FILE, "external data file");
    }

    @Test
    void an_image_a_running_vm_holds_is_refused_by_every_handler_and_left_untouched() throws Exception {
        TestImages.Built raw =
                TestImages.build(worker().images(), "busy.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        TestImages.Built qcow2 = TestImages.toQcow2(
                TestImages.build(worker().images(), "busy2.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot()));
        for (TestImages.Built image : List.of(raw, qcow2)) {
            byte[] before = Files.readAllBytes(image.path());
            Process vm = holdLikeARunningVm(image);
            try {
                InjectionReply reply = net(image.path());

                assertThat(reply.error()).as("%s", reply).isNotNull();
                assertThat(reply.error().code()).as("%s", reply.error()).isEqualTo(ErrorCode.IMAGE_IN_USE);
                assertThat(reply.error().message()).contains("in use");
            } finally {
                vm.destroy();
                vm.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(Files.readAllBytes(image.path())).isEqualTo(before);
        }
    }

    @Test
    void an_image_whose_vm_has_stopped_is_taken_again() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "was-busy.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        Process vm = holdLikeARunningVm(image);
        vm.destroy();
        vm.waitFor(10, TimeUnit.SECONDS);

        assertThat(net(image.path()).isOk()).isTrue();
    }

    /** A real VM on the image: qemu with its vCPUs stopped (-S), holding the image open for writing as any VM does. */
    static Process holdLikeARunningVm(TestImages.Built image) throws Exception {
        Path pid = image.path().resolveSibling(image.path().getFileName() + ".vm.pid");
        Files.deleteIfExists(pid);
        String format = image.path().toString().endsWith(".qcow2") ? "qcow2" : "raw";
        Process vm = new ProcessBuilder(
                        "qemu-system-x86_64",
                        "-S",
                        "-nodefaults",
                        "-display",
                        "none",
                        "-m",
                        "32",
                        "-accel",
                        "tcg",
                        "-pidfile",
                        pid.toString(),
                        "-drive",
                        "file=" + image.path() + ",format=" + format + ",if=virtio")
                .redirectErrorStream(true)
                .start();
        long inode = (Long) Files.getAttribute(image.path(), "unix:ino");
        for (int i = 0; i < 1000 && !qemuHoldsLocksOn(inode); i++) {
            Thread.sleep(10);
        }
        assertThat(vm.isAlive()).isTrue();
        assertThat(qemuHoldsLocksOn(inode))
                .as("the VM's qemu took its write locks on the image")
                .isTrue();
        return vm;
    }

    /**
     * Whether /proc/locks shows qemu's open-file-description locks on the write permission bytes (101: writes it;
     * 201: forbids other writers) of the file with {@code inode}. qemu opens an image with its read locks first and
     * takes these only once the drive is set up, so a test that looked for any lock could go on too early.
     */
    static boolean qemuHoldsLocksOn(long inode) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
            String[] fields = line.strip().split("\\s+", -1);
            if (line.contains("OFDLCK") && fields.length >= 3 && fields[fields.length - 3].endsWith(":" + inode)) {
                long start = Long.parseLong(fields[fields.length - 2]);
                String end = fields[fields.length - 1];
                long last = end.equals("EOF") ? Long.MAX_VALUE : Long.parseLong(end);
                if ((start <= 101 && 101 <= last) || (start <= 201 && 201 <= last)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Turns a qcow2's backing-format header extension into an unknown one, as in images made by old qemu. */
    static void forgetBackingFormat(Path qcow2) throws Exception {
        byte[] bytes = Files.readAllBytes(qcow2);
        byte[] magic = {(byte) 0xE2, 0x79, 0x2A, (byte) 0xCA};
        for (int i = 72; i < 4096; i++) {
            if (bytes[i] == magic[0]
                    && bytes[i + 1] == magic[1]
                    && bytes[i + 2] == magic[2]
                    && bytes[i + 3] == magic[3]) {
                try (RandomAccessFile file = new RandomAccessFile(qcow2.toFile(), "rw")) {
                    file.seek(i);
                    file.write(new byte[] {0x12, 0x34, 0x56, 0x78});
                }
                return;
            }
        }
        throw new AssertionError("no backing format extension in " + qcow2);
    }
}
