package io.imginject.worker.chain;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.testing.DelegatingHandler;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The loop, nbd, guestfs chain through the real broker: which handler takes an image, what is retried, what is
 * not, and what the reply says about every attempt. Where a test needs a transient failure it puts a fault in front
 * of a real handler through the worker's handler seam; the handler behind it still does the real work.
 */
@ExtendWith(NoHostLeaks.class)
class ChainBehaviourTest {
    static final List<HandlerName> ALL = List.of(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS);

    @TempDir
    Path directory;

    @BeforeEach
    void requirements() {
        HostRequirements.root();
        HostRequirements.tools(
                "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "qemu-nbd", "nbdfuse", "fusermount3");
    }

    static void guestfsRequired() {
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
    }

    static TestImages.Built qcow2(WorkerFixture worker, String name) throws Exception {
        return TestImages.toQcow2(TestImages.build(worker.images(), name, Layout.GPT, Fs.EXT4, GuestTree.linuxRoot()));
    }

    static void assertAttempt(Attempt attempt, HandlerName handler, int number, Outcome outcome, ErrorCode code) {
        assertThat(attempt.handler()).isEqualTo(handler.wireName());
        assertThat(attempt.attempt()).isEqualTo(number);
        assertThat(attempt.outcome()).isEqualTo(outcome);
        assertThat(attempt.code()).isEqualTo(code);
    }

    @Test
    void a_qcow2_image_skips_loop_and_is_injected_through_nbd() throws Exception {
        try (WorkerFixture worker = WorkerFixture.start(directory, ALL, 1)) {
            InjectionReply reply =
                    worker.call(Requests.net(qcow2(worker, "q.img").path()));

            assertThat(reply.isOk()).as("%s", reply).isTrue();
            assertThat(reply.handler()).isEqualTo("nbd");
            assertThat(reply.attempts()).hasSize(2);
            assertAttempt(reply.attempts().get(0), HandlerName.LOOP, 1, Outcome.SKIPPED, ErrorCode.HANDLER_UNAVAILABLE);
            assertThat(reply.attempts().get(0).message()).isEqualTo("loop reads raw images only; this one is qcow2");
            assertAttempt(reply.attempts().get(1), HandlerName.NBD, 1, Outcome.OK, null);
        }
    }

    @Test
    void with_nbd_unavailable_a_qcow2_image_falls_to_guestfs() throws Exception {
        guestfsRequired();
        UnaryOperator<WorkerConfig.Builder> kernelNbdOnly =
                config -> config.nbd(new NbdSettings(NbdSettings.Transport.KERNEL, Duration.ofSeconds(5)));
        try (WorkerFixture worker = WorkerFixture.start(directory, ALL, kernelNbdOnly, UnaryOperator.identity())) {
            InjectionReply reply =
                    worker.call(Requests.net(qcow2(worker, "g.img").path()));

            assertThat(reply.isOk()).as("%s", reply).isTrue();
            assertThat(reply.handler()).isEqualTo("guestfs");
            assertAttempt(reply.attempts().get(1), HandlerName.NBD, 1, Outcome.SKIPPED, ErrorCode.HANDLER_UNAVAILABLE);
            assertThat(reply.attempts().get(1).message()).contains("the kernel has no nbd module");
            assertAttempt(reply.attempts().get(2), HandlerName.GUESTFS, 1, Outcome.OK, null);
        }
    }

    @Test
    void a_transient_failure_is_retried_with_the_job_id_in_the_log_and_then_succeeds() throws Exception {
        FaultyFirst faults = new FaultyFirst(HandlerName.LOOP, 2, ErrorCode.DEVICE_BUSY);
        ListAppender<ILoggingEvent> log = captureLog();
        try (WorkerFixture worker = WorkerFixture.start(directory, ALL, UnaryOperator.identity(), faults)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "t.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.isOk()).as("%s", reply).isTrue();
            assertThat(reply.handler()).isEqualTo("loop");
            assertThat(reply.attempts()).hasSize(3);
            assertAttempt(reply.attempts().get(0), HandlerName.LOOP, 1, Outcome.FAILED, ErrorCode.DEVICE_BUSY);
            assertAttempt(reply.attempts().get(1), HandlerName.LOOP, 2, Outcome.FAILED, ErrorCode.DEVICE_BUSY);
            assertAttempt(reply.attempts().get(2), HandlerName.LOOP, 3, Outcome.OK, null);
            assertThat(log.list)
                    .filteredOn(e -> e.getFormattedMessage().contains("failed transiently"))
                    .hasSize(2)
                    .allSatisfy(e -> assertThat(e.getMDCPropertyMap()).containsEntry("job", reply.jobId()));
        } finally {
            releaseLog(log);
        }
    }

    @Test
    void a_handler_that_stays_busy_through_every_retry_hands_over_to_the_next() throws Exception {
        FaultyFirst faults = new FaultyFirst(HandlerName.LOOP, Integer.MAX_VALUE, ErrorCode.DEVICE_BUSY);
        try (WorkerFixture worker = WorkerFixture.start(directory, ALL, UnaryOperator.identity(), faults)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "b.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.handler()).isEqualTo("nbd");
            assertThat(reply.attempts())
                    .extracting(Attempt::handler, Attempt::attempt, Attempt::outcome)
                    .containsExactly(
                            Tuple.tuple("loop", 1, Outcome.FAILED),
                            Tuple.tuple("loop", 2, Outcome.FAILED),
                            Tuple.tuple("loop", 3, Outcome.FAILED),
                            Tuple.tuple("nbd", 1, Outcome.OK));
        }
    }

    @Test
    void a_permanent_failure_is_not_retried() throws Exception {
        CountingOpens opens = new CountingOpens();
        try (WorkerFixture worker = WorkerFixture.start(
                directory, List.of(HandlerName.LOOP, HandlerName.NBD), UnaryOperator.identity(), opens)) {
            TestImages.Built image =
                    TestImages.build(worker.images(), "p.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

            InjectionReply reply = worker.call(Requests.net(image.path())
                    .withImage(ImageRef.of(image.path().toString()).withPartition(new PartitionSelector.Numbered(7))));

            assertThat(reply.error().code()).isEqualTo(ErrorCode.PARTITION_NOT_FOUND);
            assertThat(reply.error().retryable()).isFalse();
            assertAttempt(reply.attempts().get(0), HandlerName.LOOP, 1, Outcome.FAILED, ErrorCode.PARTITION_NOT_FOUND);
            assertAttempt(reply.attempts().get(1), HandlerName.NBD, 1, Outcome.FAILED, ErrorCode.PARTITION_NOT_FOUND);
            assertThat(opens.counts).isEqualTo(Map.of(HandlerName.LOOP, 1, HandlerName.NBD, 1));
        }
    }

    @Test
    void a_chain_where_every_handler_fails_replies_with_every_attempt() throws Exception {
        guestfsRequired();
        try (WorkerFixture worker = WorkerFixture.start(directory, ALL, 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(),
                    "no-os.img",
                    Layout.GPT,
                    Fs.EXT4,
                    GuestTree.empty().file("/data.txt", "no operating system here", 0644, 0, 0));

            InjectionReply reply = worker.call(Requests.net(image.path()));

            assertThat(reply.status()).isEqualTo(InjectionReply.Status.ERROR);
            assertThat(reply.error().code()).isEqualTo(ErrorCode.ROOT_NOT_FOUND);
            assertThat(reply.error().message())
                    .startsWith("no handler could open the image: loop failed")
                    .contains("; nbd failed")
                    .contains("; guestfs failed");
            assertThat(reply.handler()).isNull();
            assertThat(reply.attempts()).extracting(Attempt::handler).containsExactly("loop", "nbd", "guestfs");
            assertThat(reply.attempts()).allSatisfy(a -> {
                assertThat(a.outcome()).isEqualTo(Outcome.FAILED);
                assertThat(a.code()).isEqualTo(ErrorCode.ROOT_NOT_FOUND);
                assertThat(a.message()).isNotBlank();
            });
        }
    }

    static ListAppender<ILoggingEvent> captureLog() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(HandlerChain.class)).addAppender(appender);
        return appender;
    }

    static void releaseLog(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(HandlerChain.class)).detachAppender(appender);
    }

    /** Makes the first {@code failures} opens of one handler fail with a transient code, then lets the real one work. */
    static final class FaultyFirst implements UnaryOperator<ImageHandler> {
        private final HandlerName target;
        private final int failures;
        private final ErrorCode code;
        private final AtomicInteger failed = new AtomicInteger();

        FaultyFirst(HandlerName target, int failures, ErrorCode code) {
            this.target = target;
            this.failures = failures;
            this.code = code;
        }

        @Override
        public ImageHandler apply(ImageHandler real) {
            if (real.name() != target) {
                return real;
            }
            return new DelegatingHandler(real) {
                @Override
                public OpenGuest open(DiskImage image, PartitionSelector partition) {
                    if (failed.get() < failures) {
                        failed.incrementAndGet();
                        throw new InjectException(code, "injected fault: " + code.wireName());
                    }
                    return real.open(image, partition);
                }
            };
        }
    }

    /** Counts how often each real handler is asked to open an image. */
    static final class CountingOpens implements UnaryOperator<ImageHandler> {
        final Map<HandlerName, Integer> counts = new ConcurrentHashMap<>();

        @Override
        public ImageHandler apply(ImageHandler real) {
            return new DelegatingHandler(real) {
                @Override
                public OpenGuest open(DiskImage image, PartitionSelector partition) {
                    counts.merge(real.name(), 1, Integer::sum);
                    return real.open(image, partition);
                }
            };
        }
    }
}
