package io.imginject.worker.handler.guestfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionReply;
import io.imginject.worker.handler.guestfs.GuestfsSettings.TcgMode;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * guestfs with the worker's default {@code guestfs-force-tcg auto} works on this host, whatever its KVM, through the
 * real broker; and where KVM cannot run the appliance, a worker told {@code false} fails its launches with what qemu
 * said, or, where the appliance's kernel hangs under KVM, once its launch timeout killed it.
 */
@ExtendWith(NoHostLeaks.class)
class GuestfsOutOfTheBoxTest {
    /**
     * The launch timeout of the worker told to use a KVM that cannot run the appliance: where qemu aborts, the launch
     * fails long before it; where the kernel hangs, the launch is killed after it.
     */
    private static final Duration HANG_LIMIT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    @BeforeEach
    void guestfsWorks() {
        HostRequirements.root();
        HostRequirements.tools("mkfs.ext4", "sfdisk", "qemu-img", "qemu-nbd", "qemu-system-x86_64");
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
    }

    @Test
    void the_default_auto_setting_injects_on_this_host() throws Exception {
        try (WorkerFixture worker = worker(TcgMode.AUTO, Duration.ofMinutes(3))) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "auto.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
            assertThat(reply.handler()).isEqualTo(HandlerName.GUESTFS.wireName());
            try (ImageReader guest = ImageReader.open(image)) {
                assertThat(guest.read("/etc/network/interfaces")).isEqualTo("auto lo\n");
            }
            Fsck.assertClean(image);
        }
    }

    @Test
    void a_launch_that_fails_says_what_qemu_or_the_console_said() throws Exception {
        Path scratch = Files.createDirectory(directory.resolve("kvm-check"));
        HostRequirements.need(
                Files.exists(KvmCheck.KVM) && KvmCheck.problem(scratch).isPresent(),
                "a /dev/kvm that cannot run the appliance, as on this project's CI machines");
        try (WorkerFixture worker = worker(TcgMode.NEVER, HANG_LIMIT)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "kvm.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.ERROR);
            List<String> messages =
                    reply.attempts().stream().map(Attempt::message).toList();
            assertThat(messages)
                    .as("a KVM on which qemu aborts, or one on which the kernel hangs until the launch timeout")
                    .isNotEmpty()
                    .allSatisfy(message -> assertThat(message)
                            .satisfiesAnyOf(
                                    text -> assertThat(text)
                                            .startsWith("the libguestfs appliance did not start: qemu-system-x86_64: "),
                                    text -> assertThat(text)
                                            .startsWith("the libguestfs appliance did not start within "
                                                    + HANG_LIMIT.toSeconds() + " s and was killed"))
                            .doesNotContain("LIBGUESTFS_DEBUG", "guestfs_launch failed"));
        }
    }

    private WorkerFixture worker(TcgMode mode, Duration launchTimeout) throws Exception {
        return WorkerFixture.start(
                directory,
                List.of(HandlerName.GUESTFS),
                config -> config.concurrency(1).guestfs(new GuestfsSettings(mode, 512, 2, launchTimeout)),
                UnaryOperator.identity());
    }
}
