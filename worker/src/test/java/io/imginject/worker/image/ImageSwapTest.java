package io.imginject.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.DelegatingHandler;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A file renamed over the image's path, or over a file of its backing chain, after the worker vetted the image is
 * never read, mounted or written: the job works on the very files it vetted, whatever their names now say. The swap
 * happens at the worst moment, between vetting and the handler opening the image.
 */
@ExtendWith(NoHostLeaks.class)
class ImageSwapTest {
    static final String TENANT_KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ3v0c0cF1m3t6XPm7Vq8oKcY8u6h2Qk7gM8mJv3lQ5A ";

    @TempDir
    Path directory;

    @BeforeEach
    void host() {
        HostRequirements.root();
        HostRequirements.tools(
                "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "qemu-nbd", "nbdfuse", "fusermount3");
    }

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD", "GUESTFS"})
    void a_disk_renamed_over_the_image_after_vetting_is_left_untouched_and_the_vetted_image_gets_the_injection(
            HandlerName handler) throws Exception {
        if (handler == HandlerName.GUESTFS) {
            HostRequirements.need(
                    GuestfsSupport.problem().isEmpty(),
                    "guestfs: " + GuestfsSupport.problem().orElse(""));
        }
        Path images = Files.createDirectories(directory.resolve("images"));
        TestImages.Built vetted = TestImages.build(images, "vm.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        TestImages.Built other =
                TestImages.build(images, "other-tenant.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        Path vettedFile = Files.createLink(images.resolve("vetted.img"), vetted.path());
        String otherBefore = sha256(other.path());

        InjectionReply reply;
        try (WorkerFixture worker = WorkerFixture.start(
                directory, List.of(handler), config -> config, renameBeforeOpen(other.path(), vetted.path()))) {
            reply = worker.call(Requests.net(vetted.path())
                    .withImage(ImageRef.of(vetted.path().toString()).withFormat(ImageFormat.RAW)));
        }

        assertThat(reply.isOk()).as("%s", reply).isTrue();
        assertThat(sha256(vetted.path()))
                .as("the other tenant's disk, now at the image's path")
                .isEqualTo(otherBefore);
        try (ImageReader guest = ImageReader.open(new TestImages.Built(
                vettedFile, vetted.layout(), vetted.fs(), vetted.offset(), vetted.size(), vetted.rootPartition()))) {
            assertThat(guest.read("/etc/network/interfaces")).isEqualTo("auto lo\n");
        }
    }

    @Test
    void a_backing_file_swapped_after_vetting_is_never_read_through_the_overlay() throws Exception {
        Path images = Files.createDirectories(directory.resolve("images"));
        TestImages.Built base = TestImages.build(images, "base.img", Layout.GPT, Fs.EXT4, withRootKey("tenant-a"));
        TestImages.Built other =
                TestImages.build(images, "other-base.img", Layout.GPT, Fs.EXT4, withRootKey("tenant-b"));
        Path vettedBase = Files.createLink(images.resolve("vetted-base.img"), base.path());
        Path overlay = images.resolve("overlay.qcow2");
        Commands.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.img", "-F", "raw", overlay.toString());

        InjectionReply reply;
        try (WorkerFixture worker = WorkerFixture.start(
                directory, List.of(HandlerName.NBD), config -> config, renameBeforeOpen(other.path(), base.path()))) {
            reply = worker.call(InjectionRequest.of(
                    ImageRef.of(overlay.toString()).withFormat(ImageFormat.QCOW2),
                    Injections.none().withKey(SshPublicKey.parse(Requests.KEY))));
        }

        assertThat(reply.isOk()).as("%s", reply).isTrue();
        Files.move(vettedBase, base.path(), StandardCopyOption.REPLACE_EXISTING);
        try (ImageReader guest = ImageReader.open(new TestImages.Built(
                overlay, base.layout(), base.fs(), base.offset(), base.size(), base.rootPartition()))) {
            assertThat(guest.read("/root/.ssh/authorized_keys"))
                    .isEqualTo(TENANT_KEY + "tenant-a\n" + Requests.KEY + "\n");
        }
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static GuestTree withRootKey(String tenant) {
        return GuestTree.linuxRoot()
                .dir("/root/.ssh", 0700, 0, 0)
                .file("/root/.ssh/authorized_keys", TENANT_KEY + tenant + "\n", 0600, 0, 0);
    }

    /** Wraps each handler so that, once, just before it opens the image, {@code from} is renamed over {@code to}. */
    static UnaryOperator<ImageHandler> renameBeforeOpen(Path from, Path to) {
        AtomicBoolean done = new AtomicBoolean();
        return real -> new DelegatingHandler(real) {
            @Override
            public OpenGuest open(DiskImage image, PartitionSelector partition) {
                if (!done.getAndSet(true)) {
                    try {
                        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return real.open(image, partition);
            }
        };
    }
}
