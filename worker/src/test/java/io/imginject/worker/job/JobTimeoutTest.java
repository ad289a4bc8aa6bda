package io.imginject.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.DelegatingHandler;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageLockingChild;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that hangs is ended by its deadline (job-timeout): its own helpers are killed, everything it held is
 * released, and it is answered with job_timeout and dead-lettered like any failure, through the real broker and
 * real images. The hang is a real one: the job's qemu-nbd stops answering (SIGSTOP), as a helper stuck on its
 * storage does, and then the guest's filesystem waits on it in the kernel for ever.
 */
@ExtendWith(NoHostLeaks.class)
class JobTimeoutTest {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(5);
    /** The deadline, the kills and the cleanup (unmount, detach, stop) take far less; without a deadline there is no reply at all. */
    private static final Duration REPLY_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    @BeforeEach
    void requirements() {
        HostRequirements.root();
        HostRequirements.tools(
                "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "qemu-nbd", "nbdfuse", "fusermount3");
    }

    static UnaryOperator<WorkerConfig.Builder> timeout(Duration timeout) {
        return config -> config.concurrency(1)
                .jobTimeout(timeout)
                .nbd(new NbdSettings(NbdSettings.Transport.USERSPACE, Duration.ofSeconds(10)));
    }

    @Test
    void a_job_whose_qemu_nbd_stops_answering_is_answered_job_timeout_and_releases_everything() throws Exception {
        FreezeQemuNbd freeze = FreezeQemuNbd.onceOpened();
        try (WorkerFixture worker =
                WorkerFixture.start(directory, List.of(HandlerName.NBD), timeout(JOB_TIMEOUT), freeze)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "hangs.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
            try {
                long sent = System.nanoTime();
                InjectionReply reply =
                        worker.client().call(worker.host(), Requests.everything(image.path()), REPLY_WITHIN);

                assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.ERROR);
                assertThat(reply.error().code()).isEqualTo(ErrorCode.JOB_TIMEOUT);
                assertThat(reply.error().message())
                        .isEqualTo("the job ran past its deadline of 5 s (job-timeout); its helpers were "
                                + "killed and what it held was released");
                assertThat(reply.error().retryable()).isFalse();
                assertThat(reply.items()).isEmpty();
                assertThat(reply.attempts()).extracting(Attempt::handler).containsExactly("nbd");
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(JOB_TIMEOUT);
                assertThat(freeze.frozen.get().isAlive())
                        .as("the frozen qemu-nbd")
                        .isFalse();

                WorkerFixture.DeadLetter dead = worker.nextDeadLetter();
                assertThat(dead.header("x-imginject-error-code")).isEqualTo("job_timeout");
                assertThat(dead.header("x-imginject-handlers-tried")).isEqualTo("nbd");
            } finally {
                freeze.thaw();
            }

            TestImages.Built next =
                    TestImages.build(worker.images(), "next.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
            InjectionReply after = worker.call(Requests.net(next.path()));
            assertThat(after.isOk())
                    .as("the next job on the same (single) job thread: %s", after)
                    .isTrue();
        }
    }

    @Test
    void a_deadline_that_passes_while_the_job_unmounts_still_releases_everything() throws Exception {
        FreezeQemuNbd freeze = FreezeQemuNbd.whenClosing();
        try (WorkerFixture worker =
                WorkerFixture.start(directory, List.of(HandlerName.NBD), timeout(JOB_TIMEOUT), freeze)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "flush.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
            try {
                InjectionReply reply =
                        worker.client().call(worker.host(), Requests.everything(image.path()), REPLY_WITHIN);

                assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.JOB_TIMEOUT);
                assertThat(freeze.frozen.get().isAlive())
                        .as("the frozen qemu-nbd")
                        .isFalse();
            } finally {
                freeze.thaw();
            }
        }
    }

    @Test
    void an_appliance_still_launching_at_the_deadline_is_killed_and_the_job_answered_job_timeout() throws Exception {
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
        try (WorkerFixture worker = WorkerFixture.start(
                directory, List.of(HandlerName.GUESTFS), timeout(JOB_TIMEOUT), UnaryOperator.identity())) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "slow.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

            InjectionReply reply = worker.client().call(worker.host(), Requests.net(image.path()), REPLY_WITHIN);

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.ERROR);
            assertThat(reply.error().code()).isEqualTo(ErrorCode.JOB_TIMEOUT);
            assertThat(reply.durationMs()).isLessThan(Duration.ofSeconds(20).toMillis());
        }
    }

    @Test
    void the_wait_for_an_image_another_worker_holds_counts_against_the_deadline() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(
                directory, List.of(HandlerName.LOOP), timeout(JOB_TIMEOUT), UnaryOperator.identity())) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "held.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
            Process sibling = lockingSibling(image.path().toRealPath());
            try {
                InjectionReply reply = worker.client().call(worker.host(), Requests.net(image.path()), REPLY_WITHIN);

                assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.JOB_TIMEOUT);
                assertThat(reply.attempts()).isEmpty();
                assertThat(reply.durationMs())
                        .as("well before lock-wait (60 s) ends")
                        .isLessThan(Duration.ofSeconds(15).toMillis());
            } finally {
                sibling.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** An {@link ImageLockingChild} holding {@code image}'s lock in this test's run directory. */
    Process lockingSibling(Path image) throws Exception {
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ImageLockingChild.class.getName(),
                        directory.resolve("run").toString(),
                        image.toString())
                .redirectError(directory.resolve("sibling.log").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine())
                .as("the sibling's first line; see " + directory.resolve("sibling.log"))
                .isEqualTo("locked");
        return child;
    }

    /**
     * Lets the real nbd handler open the guest, then, in the first job only, stops the job's qemu-nbd (SIGSTOP), the
     * only qemu-nbd this JVM runs: right after the guest is opened, so that the items' reads and writes wait on it,
     * or once the items are done and the guest is being closed, so that the unmount's flush does. {@link #thaw}
     * kills it should the worker not have, so that a failing run leaves no helper behind.
     */
    static final class FreezeQemuNbd implements UnaryOperator<ImageHandler> {
        final AtomicReference<ProcessHandle> frozen = new AtomicReference<>();
        private final boolean atClose;
        private final AtomicBoolean done = new AtomicBoolean();

        private FreezeQemuNbd(boolean atClose) {
            this.atClose = atClose;
        }

        static FreezeQemuNbd onceOpened() {
            return new FreezeQemuNbd(false);
        }

        static FreezeQemuNbd whenClosing() {
            return new FreezeQemuNbd(true);
        }

        @Override
        public ImageHandler apply(ImageHandler real) {
            return new DelegatingHandler(real) {
                @Override
                public OpenGuest open(DiskImage image, PartitionSelector partition) {
                    OpenGuest guest = real.open(image, partition);
                    if (done.getAndSet(true)) {
                        return guest;
                    }
                    if (!atClose) {
                        freeze();
                        return guest;
                    }
                    return new OpenGuest() {
                        @Override
                        public GuestFs fs() {
                            return guest.fs();
                        }

                        @Override
                        public FilesystemDriver filesystem() {
                            return guest.filesystem();
                        }

                        @Override
                        public void close() {
                            freeze();
                            guest.close();
                        }
                    };
                }
            };
        }

        private void freeze() {
            List<ProcessHandle> qemuNbd = ProcessHandle.current()
                    .children()
                    .filter(p -> p.info()
                            .command()
                            .map(c -> Path.of(c).getFileName().toString().equals("qemu-nbd"))
                            .orElse(false))
                    .toList();
            assertThat(qemuNbd).hasSize(1);
            frozen.set(qemuNbd.get(0));
            Commands.run("kill", "-STOP", Long.toString(qemuNbd.get(0).pid()));
        }

        void thaw() {
            Optional.ofNullable(frozen.get()).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
