package io.imginject.worker.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.HeldImageFile;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chain's decisions, in milliseconds and without root, a broker or images: which handler is tried, what is
 * retried, what hands over and what ends the chain, and what the reply's attempts say. The handlers here are scripted
 * stand-ins of the project's own {@link ImageHandler}; {@code ChainBehaviourTest} shows the same on real handlers.
 */
@Tag("fast")
class HandlerChainTest {
    @TempDir
    static Path images;

    static DiskImage image;
    static final RetrySettings QUICK_RETRIES =
            new RetrySettings(3, Duration.ofMillis(1), 1.0, Duration.ofMillis(1), Duration.ofSeconds(10));

    @BeforeAll
    static void anImage() throws Exception {
        image = DiskImage.of(HeldImageFile.open(Files.createFile(images.resolve("vm.img")), true), ImageFormat.RAW);
    }

    @AfterAll
    static void letGo() {
        image.close();
    }

    final Map<HandlerName, ImageHandler> enabled = new EnumMap<>(HandlerName.class);
    final List<String> events = new ArrayList<>();

    @Test
    void the_first_handler_that_opens_the_image_does_the_work_and_is_closed_afterwards() {
        script(HandlerName.LOOP, opens());
        script(HandlerName.NBD, opens());

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.handler()).contains(HandlerName.LOOP);
        assertThat(outcome.result()).contains("done");
        assertThat(outcome.failure()).isEmpty();
        assertThat(events).containsExactly("loop open", "work", "loop close");
        assertThat(outcome.attempts())
                .extracting(Attempt::handler, Attempt::attempt, Attempt::outcome)
                .containsExactly(tuple("loop", 1, Outcome.OK));
    }

    @Test
    void a_transient_failure_is_retried_with_the_same_handler() {
        script(HandlerName.LOOP, fails(ErrorCode.DEVICE_BUSY), fails(ErrorCode.DEVICE_BUSY), opens());

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.handler()).contains(HandlerName.LOOP);
        assertThat(outcome.attempts())
                .extracting(Attempt::attempt, Attempt::outcome, Attempt::code)
                .containsExactly(
                        tuple(1, Outcome.FAILED, ErrorCode.DEVICE_BUSY),
                        tuple(2, Outcome.FAILED, ErrorCode.DEVICE_BUSY),
                        tuple(3, Outcome.OK, null));
    }

    @Test
    void a_handler_still_failing_transiently_after_its_tries_hands_over_to_the_next() {
        script(
                HandlerName.LOOP,
                fails(ErrorCode.DEVICE_BUSY),
                fails(ErrorCode.DEVICE_BUSY),
                fails(ErrorCode.DEVICE_BUSY));
        script(HandlerName.NBD, opens());

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.handler()).contains(HandlerName.NBD);
        assertThat(outcome.attempts()).extracting(Attempt::handler).containsExactly("loop", "loop", "loop", "nbd");
    }

    @Test
    void a_lasting_failure_is_not_retried_and_hands_over() {
        script(HandlerName.LOOP, fails(ErrorCode.TOOL_FAILED));
        script(HandlerName.NBD, opens());

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.handler()).contains(HandlerName.NBD);
        assertThat(outcome.attempts())
                .extracting(Attempt::handler, Attempt::outcome)
                .containsExactly(tuple("loop", Outcome.FAILED), tuple("nbd", Outcome.OK));
    }

    @Test
    void an_image_in_use_ends_the_chain_so_that_nothing_writes_it() {
        script(HandlerName.LOOP, fails(ErrorCode.IMAGE_IN_USE));
        script(HandlerName.NBD, opens());

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.handler()).isEmpty();
        assertThat(events).containsExactly("loop open");
        assertThat(outcome.failure()).map(InjectException::code).contains(ErrorCode.IMAGE_IN_USE);
    }

    @Test
    void a_handler_that_cannot_take_the_image_is_skipped_with_its_reason() {
        enabled.put(
                HandlerName.LOOP,
                new ScriptedHandler(HandlerName.LOOP, Optional.of("loop opens raw images only"), new ArrayDeque<>()));
        script(HandlerName.NBD, opens());

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.attempts())
                .extracting(Attempt::handler, Attempt::outcome, Attempt::code, Attempt::message)
                .containsExactly(
                        tuple("loop", Outcome.SKIPPED, ErrorCode.HANDLER_UNAVAILABLE, "loop opens raw images only"),
                        tuple("nbd", Outcome.OK, null, null));
    }

    @Test
    void a_requested_handler_the_operator_did_not_enable_is_skipped_and_named() {
        script(HandlerName.LOOP, opens());

        ChainOutcome<String> outcome = run(List.of(HandlerName.GUESTFS, HandlerName.LOOP));

        assertThat(outcome.handler()).contains(HandlerName.LOOP);
        assertThat(outcome.attempts().get(0).message())
                .isEqualTo("guestfs is not enabled on this worker (enabled: loop)");
    }

    @Test
    void when_every_handler_fails_alike_the_job_fails_with_their_code() {
        script(HandlerName.LOOP, fails(ErrorCode.PARTITION_NOT_FOUND));
        script(HandlerName.NBD, fails(ErrorCode.PARTITION_NOT_FOUND));

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.failure()).map(InjectException::code).contains(ErrorCode.PARTITION_NOT_FOUND);
        assertThat(outcome.failure())
                .map(Throwable::getMessage)
                .hasValueSatisfying(message -> assertThat(message)
                        .startsWith("no handler could open the image: ")
                        .contains("loop failed: ")
                        .contains("nbd failed: "));
    }

    @Test
    void when_handlers_fail_differently_the_job_fails_with_no_handler() {
        script(HandlerName.LOOP, fails(ErrorCode.TOOL_FAILED));
        script(HandlerName.NBD, fails(ErrorCode.UNSUPPORTED_FILESYSTEM));

        assertThat(run(List.of()).failure()).map(InjectException::code).contains(ErrorCode.NO_HANDLER);
    }

    @Test
    void nothing_new_is_tried_once_the_jobs_deadline_passed() {
        script(HandlerName.LOOP, opens());

        ChainOutcome<String> outcome =
                chain().run(image, new PartitionSelector.FindRoot(), List.of(), () -> true, guest -> "done");

        assertThat(events).isEmpty();
        assertThat(outcome.handler()).isEmpty();
    }

    @Test
    void a_failed_release_after_the_work_is_reported_beside_the_result() {
        enabled.put(
                HandlerName.LOOP,
                new ScriptedHandler(
                        HandlerName.LOOP, Optional.empty(), new ArrayDeque<>(List.of(opensAndFailsToClose()))));

        ChainOutcome<String> outcome = run(List.of());

        assertThat(outcome.result()).contains("done");
        assertThat(outcome.failure()).map(InjectException::code).contains(ErrorCode.CLEANUP_FAILED);
    }

    @Test
    void work_that_throws_still_closes_the_guest() {
        script(HandlerName.LOOP, opens());

        assertThatThrownBy(() -> chain().run(image, new PartitionSelector.FindRoot(), List.of(), () -> false, guest -> {
                    throw new IllegalStateException("the items broke");
                }))
                .isInstanceOf(IllegalStateException.class);

        assertThat(events).containsExactly("loop open", "loop close");
    }

    private ChainOutcome<String> run(List<HandlerName> order) {
        return chain().run(image, new PartitionSelector.FindRoot(), order, () -> false, guest -> {
            events.add("work");
            return "done";
        });
    }

    private HandlerChain chain() {
        return new HandlerChain(
                enabled, List.of(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS), QUICK_RETRIES);
    }

    private void script(HandlerName name, Step... steps) {
        enabled.put(name, new ScriptedHandler(name, Optional.empty(), new ArrayDeque<>(List.of(steps))));
    }

    /** What one call of a scripted handler's {@code open} does. */
    private interface Step {
        OpenGuest open(HandlerName name);
    }

    private Step opens() {
        return name -> guest(name, () -> events.add(name.wireName() + " close"));
    }

    private Step opensAndFailsToClose() {
        return name -> guest(name, () -> {
            throw new InjectException(ErrorCode.CLEANUP_FAILED, "umount: target is busy");
        });
    }

    private static Step fails(ErrorCode code) {
        return name -> {
            throw new InjectException(code, name.wireName() + " failed: " + code.wireName());
        };
    }

    private static OpenGuest guest(HandlerName name, Runnable onClose) {
        GuestFs unused = (GuestFs) Proxy.newProxyInstance(
                GuestFs.class.getClassLoader(), new Class<?>[] {GuestFs.class}, (proxy, method, args) -> {
                    throw new AssertionError("the chain itself never touches the guest " + name.wireName() + " opened: "
                            + method.getName());
                });
        return new OpenGuest() {
            @Override
            public GuestFs fs() {
                return unused;
            }

            @Override
            public FilesystemDriver filesystem() {
                return FilesystemDriver.KERNEL;
            }

            @Override
            public void close() {
                onClose.run();
            }
        };
    }

    /** A handler that plays its script, one step per call of {@code open}. */
    private final class ScriptedHandler implements ImageHandler {
        private final HandlerName name;
        private final Optional<String> unavailable;
        private final Deque<Step> script;

        ScriptedHandler(HandlerName name, Optional<String> unavailable, Deque<Step> script) {
            this.name = name;
            this.unavailable = unavailable;
            this.script = script;
        }

        @Override
        public HandlerName name() {
            return name;
        }

        @Override
        public Optional<String> unavailableReason(DiskImage image) {
            return unavailable;
        }

        @Override
        public OpenGuest open(DiskImage image, PartitionSelector partition) {
            events.add(name.wireName() + " open");
            return script.removeFirst().open(name);
        }
    }
}
