package io.imginject.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.chain.HandlerChain;
import io.imginject.worker.chain.RetrySettings;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.host.CrashRecovery;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.ImageInspection;
import io.imginject.worker.image.ImageJobLocks;
import io.imginject.worker.image.ImageLocator;
import io.imginject.worker.item.ItemRunner;
import io.imginject.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the job runner decides between a job and its reply, in milliseconds and without root or host tools: which
 * images it takes, how the image lock and the deadline end a job, how a handler's or an item's failure becomes the
 * reply, and what it throws instead of answering. The image root, the held image, the image locks, the crash
 * recovery, the chain and the items are the real ones on a temporary directory; the handlers, the guest and the
 * image's inspection (which runs qemu-img) are scripted stand-ins of the project's own {@link ImageHandler},
 * {@link GuestFs} and {@link ImageInspection}. {@code JobTimeoutTest} shows the deadline on real handlers.
 */
@Tag("fast")
class JobRunnerTest {
    static final RetrySettings QUICK_RETRIES =
            new RetrySettings(2, Duration.ofMillis(1), 1.0, Duration.ofMillis(1), Duration.ofSeconds(10));
    static final Clock NOV_27_2026 = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);
    static final Duration LONG = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    Path images;
    Path image;
    ImageJobLocks locks;
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final WorkerMetrics metrics = new WorkerMetrics(meters);
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final Map<HandlerName, ImageHandler> handlers = new EnumMap<>(HandlerName.class);
    final MemoryGuest guest = new MemoryGuest();
    ImageInspection inspection = (file, format) -> {
        events.add("inspect " + file.path() + " "
                + format.map(ImageFormat::qemuName).orElse("(no format)"));
        return DiskImage.of(file, format.orElse(ImageFormat.RAW));
    };

    @BeforeEach
    void anImageUnderARootAndARunDirectory() throws Exception {
        images = Files.createDirectory(temp.resolve("images"));
        image = Files.write(images.resolve("vm.img"), new byte[4096]).toRealPath();
        Files.createDirectories(temp.resolve("run/locks"));
    }

    @AfterEach
    void stopTheTimer() {
        timer.shutdownNow();
    }

    @Test
    void a_job_a_handler_opens_the_image_for_replies_ok_with_each_items_result_its_handler_and_attempts() {
        handlers.put(HandlerName.LOOP, opens("loop"));

        InjectionReply reply = runner(LONG, LONG)
                .run(job(Injections.none().withMetadata(Map.of("role", "web")).withNet("auto lo\n")));

        assertThat(reply.status()).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.jobId()).isEqualTo("job-1");
        assertThat(reply.host()).isEqualTo("h1");
        assertThat(reply.handler()).isEqualTo("loop");
        assertThat(reply.items())
                .containsExactly(
                        Map.entry("net", ItemResult.ok("wrote /etc/network/interfaces")),
                        Map.entry("metadata", ItemResult.ok("wrote /meta.js (1 key)")));
        assertThat(reply.attempts())
                .extracting(Attempt::handler, Attempt::attempt, Attempt::outcome)
                .containsExactly(tuple("loop", 1, Outcome.OK));
        assertThat(reply.error()).isNull();
        assertThat(guest.file("/meta.js")).contains("{\"role\":\"web\"}");
        assertThat(events).containsExactly("inspect " + image + " (no format)", "loop open", "loop close");
    }

    @Test
    void each_job_is_counted_with_the_handler_and_driver_that_opened_the_image_its_outcome_code_and_attempts() {
        handlers.put(HandlerName.LOOP, fails("loop", ErrorCode.PARTITION_NOT_FOUND));
        handlers.put(HandlerName.NBD, opens("nbd"));
        JobRunner runner = runner(LONG, LONG);

        runner.run(job(metadata()));
        runner.run(new Job(
                "job-2",
                InjectionRequest.of(ImageRef.of(image.toString()), metadata())
                        .withHandlers(List.of(HandlerName.LOOP))));

        assertThat(jobs("nbd", "kernel", "ok", "none")).isEqualTo(1);
        assertThat(jobs("none", "none", "error", "partition_not_found")).isEqualTo(1);
        assertThat(meters.get("imginject.job.duration")
                        .tag("handler", "nbd")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("imginject.handler.attempts")
                        .tags("handler", "loop", "outcome", "failed", "code", "partition_not_found")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(meters.get("imginject.image.lock.wait")
                        .tag("code", "none")
                        .timer()
                        .count())
                .isEqualTo(2);
        assertThat(meters.get("imginject.jobs.in.flight").gauge().value()).isZero();
    }

    private double jobs(String handler, String filesystem, String outcome, String code) {
        return meters.get("imginject.jobs")
                .tags("handler", handler, "filesystem", filesystem, "outcome", outcome, "code", code)
                .counter()
                .count();
    }

    @Test
    void the_image_is_inspected_held_open_at_its_real_path_in_the_format_the_request_states() throws Exception {
        Files.createSymbolicLink(images.resolve("link.img"), image);
        handlers.put(HandlerName.LOOP, opens("loop"));

        runner(LONG, LONG)
                .run(job(ImageRef.of(images.resolve("link.img").toString()).withFormat(ImageFormat.QCOW2), metadata()));

        assertThat(events).first().isEqualTo("inspect " + image + " qcow2");
    }

    @Test
    void an_image_outside_the_roots_is_refused_before_it_is_inspected_or_any_handler_tried() throws Exception {
        Path elsewhere = Files.write(temp.resolve("host.img"), new byte[4096]);
        handlers.put(HandlerName.LOOP, opens("loop"));

        InjectionReply reply = runner(LONG, LONG).run(job(ImageRef.of(elsewhere.toString()), metadata()));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.IMAGE_OUTSIDE_ROOTS);
        assertThat(reply.attempts()).isEmpty();
        assertThat(reply.handler()).isNull();
        assertThat(events).isEmpty();
    }

    @Test
    void a_missing_image_is_image_not_found_and_nothing_is_tried() {
        handlers.put(HandlerName.LOOP, opens("loop"));

        InjectionReply reply = runner(LONG, LONG)
                .run(job(ImageRef.of(images.resolve("gone.img").toString()), metadata()));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        assertThat(events).isEmpty();
    }

    @Test
    void an_image_its_inspection_refuses_fails_the_job_with_that_code_before_any_handler_is_tried() {
        inspection = (file, format) -> {
            throw new InjectException(ErrorCode.UNSAFE_BACKING_FILE, "its backing file lies outside the image roots");
        };
        handlers.put(HandlerName.LOOP, opens("loop"));

        InjectionReply reply = runner(LONG, LONG).run(job(metadata()));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.UNSAFE_BACKING_FILE);
        assertThat(reply.error().message()).isEqualTo("its backing file lies outside the image roots");
        assertThat(events).isEmpty();
    }

    @Test
    void a_handlers_failure_becomes_the_jobs_error_and_its_attempts_are_in_the_reply() {
        handlers.put(HandlerName.LOOP, fails("loop", ErrorCode.PARTITION_NOT_FOUND));

        InjectionReply reply = runner(LONG, LONG).run(job(metadata()));

        assertThat(reply.status()).isEqualTo(InjectionReply.Status.ERROR);
        assertThat(reply.error().code()).isEqualTo(ErrorCode.PARTITION_NOT_FOUND);
        assertThat(reply.error().message())
                .startsWith("no handler could open the image: loop failed: loop failed: partition_not_found");
        assertThat(reply.attempts())
                .extracting(Attempt::handler, Attempt::outcome, Attempt::code)
                .containsExactly(
                        tuple("loop", Outcome.FAILED, ErrorCode.PARTITION_NOT_FOUND),
                        tuple("nbd", Outcome.SKIPPED, ErrorCode.HANDLER_UNAVAILABLE));
        assertThat(reply.handler()).isNull();
    }

    @Test
    void a_failed_mandatory_item_fails_the_job_and_the_reply_still_lists_every_items_result() {
        guest.refusingWritesBelow("/etc", ErrorCode.GUEST_IO_ERROR);
        handlers.put(HandlerName.LOOP, opens("loop"));
        InjectionRequest request = InjectionRequest.of(
                        ImageRef.of(image.toString()),
                        Injections.none().withMetadata(Map.of("role", "web")).withNet("auto lo\n"))
                .withMandatory(Set.of(ItemName.NET));

        InjectionReply reply = runner(LONG, LONG).run(new Job("job-1", request));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.MANDATORY_ITEM_FAILED);
        assertThat(reply.error().message())
                .startsWith("mandatory item failed: net (guest_io_error: cannot write /etc/network/interfaces");
        assertThat(reply.handler()).isEqualTo("loop");
        assertThat(reply.items().get("net").code()).isEqualTo(ErrorCode.GUEST_IO_ERROR);
        assertThat(reply.items().get("metadata").status()).isEqualTo(Outcome.OK);
    }

    @Test
    void a_failed_item_that_is_not_mandatory_leaves_the_job_ok() {
        guest.refusingWritesBelow("/etc", ErrorCode.GUEST_IO_ERROR);
        handlers.put(HandlerName.LOOP, opens("loop"));

        InjectionReply reply = runner(LONG, LONG)
                .run(job(Injections.none().withMetadata(Map.of("role", "web")).withNet("auto lo\n")));

        assertThat(reply.status()).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.items().get("net").code()).isEqualTo(ErrorCode.GUEST_IO_ERROR);
    }

    @Test
    void a_filesystem_that_reports_corruption_fails_the_job_though_no_item_was_mandatory() {
        guest.refusingWritesBelow("/etc", ErrorCode.FILESYSTEM_ERROR);
        handlers.put(HandlerName.LOOP, opens("loop"));

        InjectionReply reply = runner(LONG, LONG)
                .run(job(Injections.none().withMetadata(Map.of("role", "web")).withNet("auto lo\n")));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.FILESYSTEM_ERROR);
        assertThat(reply.error().message())
                .startsWith("the guest's filesystem reported corruption during net")
                .endsWith("check the image with fsck");
        assertThat(reply.items().get("metadata").status()).isEqualTo(Outcome.SKIPPED);
    }

    @Test
    @SuppressWarnings("try") // the lock is held for the block, by another job
    void another_job_holding_the_image_longer_than_lock_wait_fails_the_job_with_image_busy() throws Exception {
        handlers.put(HandlerName.LOOP, opens("loop"));
        JobRunner runner = runner(Duration.ofMillis(200), LONG);
        try (HeldElsewhere held = new HeldElsewhere(locks, image)) {
            InjectionReply reply = runner.run(job(metadata()));

            assertThat(reply.error().code()).isEqualTo(ErrorCode.IMAGE_BUSY);
            assertThat(events).isEmpty();
        }
    }

    @Test
    @SuppressWarnings("try") // the lock is held for the block, by another job
    void a_deadline_that_passes_while_the_job_waits_for_the_image_lock_is_job_timeout() throws Exception {
        handlers.put(HandlerName.LOOP, opens("loop"));
        JobRunner runner = runner(LONG, Duration.ofMillis(200));
        try (HeldElsewhere held = new HeldElsewhere(locks, image)) {
            InjectionReply reply = runner.run(job(metadata()));

            assertThat(reply.error().code()).isEqualTo(ErrorCode.JOB_TIMEOUT);
            assertThat(reply.error().message()).contains("ran past its deadline");
            assertThat(events).isEmpty();
        }
    }

    @Test
    void a_deadline_that_passes_while_a_handler_works_is_job_timeout_reporting_the_attempts_but_no_items() {
        handlers.put(HandlerName.LOOP, new ScriptedHandler("loop", () -> {
            sleep(Duration.ofMillis(400));
            return guestClosing("loop");
        }));

        InjectionReply reply = runner(LONG, Duration.ofMillis(200)).run(job(metadata()));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.JOB_TIMEOUT);
        assertThat(reply.items()).isEmpty();
        assertThat(reply.attempts())
                .extracting(Attempt::handler, Attempt::outcome)
                .containsExactly(tuple("loop", Outcome.OK));
        assertThat(events).endsWith("loop close");
    }

    @Test
    @SuppressWarnings("try") // the lock is held for the block, by another job
    void the_image_lock_is_released_when_the_job_ends_so_that_the_next_job_takes_it_at_once() throws Exception {
        handlers.put(HandlerName.LOOP, fails("loop", ErrorCode.TOOL_FAILED));
        runner(LONG, LONG).run(job(metadata()));

        AtomicReference<Object> taken = new AtomicReference<>();
        Thread next = new Thread(() -> {
            try (SharedLocks.Held lock = locks.lock(image, Duration.ZERO)) {
                taken.set("taken");
            } catch (InjectException | InterruptedException e) {
                taken.set(e);
            }
        });
        next.start();
        next.join(10_000);
        assertThat(taken).hasValue("taken");
    }

    @Test
    @SuppressWarnings("try") // the lock is held for the block, by another job
    void a_job_interrupted_while_it_waits_for_the_image_lock_throws_job_interrupted_instead_of_answering()
            throws Exception {
        handlers.put(HandlerName.LOOP, opens("loop"));
        JobRunner runner = runner(LONG, LONG);
        AtomicReference<Object> outcome = new AtomicReference<>();
        try (HeldElsewhere held = new HeldElsewhere(locks, image)) {
            Thread job = new Thread(() -> {
                try {
                    outcome.set(runner.run(job(metadata())));
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            job.start();
            while (job.getState() != Thread.State.TIMED_WAITING && job.isAlive()) {
                Thread.onSpinWait();
            }
            job.interrupt();
            job.join(10_000);
        }

        assertThat(outcome.get()).isInstanceOf(JobInterruptedException.class);
        assertThat(events).isEmpty();
    }

    @Test
    void a_job_whose_thread_was_interrupted_while_a_handler_ran_is_not_answered_though_the_handler_failed_of_it() {
        handlers.put(HandlerName.LOOP, new ScriptedHandler("loop", () -> {
            Thread.currentThread().interrupt();
            throw new InjectException(ErrorCode.TOOL_FAILED, "losetup was interrupted");
        }));
        handlers.put(HandlerName.NBD, opens("nbd"));
        JobRunner runner = runner(LONG, LONG);

        try {
            assertThatThrownBy(() -> runner.run(job(metadata()))).isInstanceOf(JobInterruptedException.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(events).doesNotContain("nbd open");
    }

    @Test
    void an_unexpected_exception_is_internal_error_naming_only_its_class_never_its_message() {
        handlers.put(HandlerName.LOOP, new ScriptedHandler("loop", () -> {
            throw new IllegalStateException("could not parse root:s3cret-password");
        }));

        InjectionReply reply = runner(LONG, LONG).run(job(metadata()));

        assertThat(reply.error().code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
        assertThat(reply.error().message())
                .isEqualTo("unexpected IllegalStateException; see the worker log")
                .doesNotContain("s3cret");
    }

    private JobRunner runner(Duration lockWait, Duration jobTimeout) {
        locks = new ImageJobLocks(temp.resolve("run/locks"), lockWait);
        return new JobRunner(
                "h1",
                new ImageLocator(List.of(images)),
                inspection,
                locks,
                new HandlerChain(handlers, List.of(HandlerName.LOOP, HandlerName.NBD), QUICK_RETRIES),
                new ItemRunner(NOV_27_2026),
                new CrashRecovery(new ProcessRunner(Duration.ofSeconds(5)), temp.resolve("run"), metrics),
                jobTimeout,
                timer,
                metrics);
    }

    private Job job(Injections inject) {
        return job(ImageRef.of(image.toString()), inject);
    }

    private Job job(ImageRef ref, Injections inject) {
        return new Job("job-1", InjectionRequest.of(ref, inject));
    }

    private static Injections metadata() {
        return Injections.none().withMetadata(Map.of("role", "web"));
    }

    /** Another job holding an image's lock, on a thread of its own, until closed. */
    private static final class HeldElsewhere implements AutoCloseable {
        private final CountDownLatch taken = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final Thread holder;

        @SuppressWarnings("try") // the lock is held until released, as another job would
        HeldElsewhere(ImageJobLocks locks, Path image) throws InterruptedException {
            holder = new Thread(() -> {
                try (SharedLocks.Held lock = locks.lock(image, LONG)) {
                    taken.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holder.start();
            assertThat(taken.await(10, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public void close() {
            release.countDown();
            try {
                holder.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ScriptedHandler opens(String name) {
        return new ScriptedHandler(name, () -> guestClosing(name));
    }

    private ScriptedHandler fails(String name, ErrorCode code) {
        return new ScriptedHandler(name, () -> {
            throw new InjectException(code, name + " failed: " + code.wireName());
        });
    }

    private OpenGuest guestClosing(String name) {
        return new OpenGuest() {
            @Override
            public GuestFs fs() {
                return guest;
            }

            @Override
            public FilesystemDriver filesystem() {
                return FilesystemDriver.KERNEL;
            }

            @Override
            public void close() {
                events.add(name + " close");
            }
        };
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How a scripted handler's {@code open} goes. */
    private interface Opening {
        OpenGuest open();
    }

    /** A handler that takes every image and opens it as its script says. */
    private final class ScriptedHandler implements ImageHandler {
        private final String name;
        private final Opening opening;

        ScriptedHandler(String name, Opening opening) {
            this.name = name;
            this.opening = opening;
        }

        @Override
        public HandlerName name() {
            return HandlerName.fromWireName(name).orElseThrow();
        }

        @Override
        public Optional<String> unavailableReason(DiskImage image) {
            return Optional.empty();
        }

        @Override
        public OpenGuest open(DiskImage image, PartitionSelector partition) {
            events.add(name + " open");
            return opening.open();
        }
    }
}
