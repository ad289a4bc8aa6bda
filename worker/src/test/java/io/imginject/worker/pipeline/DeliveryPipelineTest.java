package io.imginject.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Envelope;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.PublishFailures;
import io.imginject.worker.broker.PublishRetry;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.DeadLetterSeal;
import io.imginject.worker.deadletter.ReplayCount;
import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.job.JobInterruptedException;
import io.imginject.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/**
 * The delivery pipeline's order and decisions, in milliseconds and without a broker: what is kept, dead-lettered,
 * replied, acked or requeued, and in which order. The broker is a scripted stand-in of the project's own
 * {@code Acks} and {@code Publisher}, the protocol a scripted {@link Protocol}; the kept replies, the dead-letter
 * seal and the replay counts are the real ones, on a temporary directory. {@code InjectionOverBrokerTest},
 * {@code FailureRepliesTest} and the other broker tests show the same through RabbitMQ.
 */
@Tag("fast")
class DeliveryPipelineTest {
    static final String REPLY_QUEUE = "caller.replies";
    static final PublishRetry QUICK_RETRIES = new PublishRetry(3, Duration.ofMillis(1));

    @TempDir
    Path temp;

    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final ScriptedBroker broker = new ScriptedBroker(events);
    final ScriptedProtocol protocol = new ScriptedProtocol(broker);
    final AtomicInteger runs = new AtomicInteger();
    final List<String> jobIdsInLogContext = Collections.synchronizedList(new ArrayList<>());
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final WorkerMetrics metrics = new WorkerMetrics(meters);
    long deliveryTag;
    Path results;
    Path claims;
    DeadLetterKey key;
    ReplayCount replays;
    DeliveryPipeline<ScriptedProtocol.Caller> pipeline;

    @BeforeEach
    void aPipeline() throws Exception {
        Path keyFile = temp.resolve("dead-letter.key");
        byte[] secret = new byte[DeadLetterKey.BYTES];
        new SecureRandom().nextBytes(secret);
        Files.write(keyFile, secret);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        key = DeadLetterKey.load(keyFile);
        replays = new ReplayCount(key);
        results = Files.createDirectory(temp.resolve("results"));
        claims = Files.createDirectory(temp.resolve("claims"));
        pipeline = anotherWorkersPipeline();
        protocol.work = succeeds();
    }

    /** A pipeline as another worker of the host has it: its own objects on the host's shared directories. */
    private DeliveryPipeline<ScriptedProtocol.Caller> anotherWorkersPipeline() {
        KeptReplies kept = new KeptReplies(results, Duration.ofDays(1), Clock.systemUTC(), metrics);
        DeadLettering deadLetters = new DeadLettering(
                new DeadLetterPublisher(broker, "h1", Clock.systemUTC(), new DeadLetterSeal(key), replays),
                QUICK_RETRIES,
                metrics);
        RequestClaims requestClaims = new RequestClaims(new SharedLocks(claims), Duration.ofSeconds(30));
        return new DeliveryPipeline<>(protocol, broker, kept, requestClaims, replays, deadLetters, QUICK_RETRIES);
    }

    @Test
    void a_success_is_replied_then_acked() {
        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "reply ok, run 1", "ack j1");
        assertThat(broker.deadLetters).isEmpty();
    }

    @Test
    void a_request_delivered_again_after_it_succeeded_gets_the_kept_reply_without_running() {
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(delivery("j1", true));

        assertThat(events).containsExactly("reply ok, run 1", "ack j1");
        assertThat(runs).hasValue(1);
    }

    @Test
    void dead_letters_are_counted_by_code_and_answers_from_kept_replies_as_hits() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        pipeline.handle(delivery("j1", false));
        pipeline.handle(delivery("j1", true));

        assertThat(meters.get("imginject.dead.letters")
                        .tag("code", "image_not_found")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("imginject.kept.reply.hits").counter().count()).isEqualTo(1);
    }

    @Test
    void a_request_sent_anew_after_it_succeeded_is_answered_from_the_kept_reply_too() {
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("reply ok, run 1", "ack j1");
    }

    @Test
    void a_request_under_a_reused_id_with_another_body_runs_afresh() {
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(
                new Delivery(envelope(false), properties("j1"), "{\"other\":true}".getBytes(StandardCharsets.UTF_8)));

        assertThat(events).containsExactly("run j1", "reply ok, run 2", "ack j1");
    }

    @Test
    void a_failure_is_dead_lettered_then_replied_then_acked() throws Exception {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);

        pipeline.handle(delivery("j1", false));

        assertThat(events)
                .containsExactly(
                        "run j1", "dead-letter image_not_found", "reply failed image_not_found, run 1", "ack j1");
        ScriptedBroker.Published letter = broker.deadLetters.get(0);
        assertThat(letter.routingKey()).isEqualTo("inject.h1");
        assertThat(letter.header(DeadLetterHeaders.SEALED)).isEqualTo(DeadLetterHeaders.SEALED_VERSION);
        assertThat(letter.header(DeadLetterHeaders.ORIGINAL_EXCHANGE)).isEqualTo("imginject");
        assertThat(letter.header("x-trace")).isEqualTo("t-1");
        assertThat(new String(letter.body(), StandardCharsets.UTF_8)).doesNotContain("{\"job\"");
        assertThat(new DeadLetterSeal(key).open(letter.properties(), letter.body()))
                .isEqualTo(body("j1"));
    }

    @Test
    void a_failure_answers_a_redelivery_of_the_same_delivery_from_the_kept_reply_and_is_not_dead_lettered_again() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(delivery("j1", true));

        assertThat(events).containsExactly("reply failed image_not_found, run 1", "ack j1");
    }

    @Test
    void a_failure_does_not_answer_the_same_request_sent_anew_which_runs_again() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(delivery("j1", false));

        assertThat(events)
                .containsExactly(
                        "run j1", "dead-letter image_not_found", "reply failed image_not_found, run 2", "ack j1");
    }

    @Test
    void a_request_sent_anew_drops_the_kept_failure_so_that_its_own_redelivery_is_not_answered_with_it() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        pipeline.handle(delivery("j1", false));
        protocol.work = () -> {
            run();
            throw new JobInterruptedException();
        };
        pipeline.handle(delivery("j1", false));
        events.clear();
        protocol.work = succeeds();

        pipeline.handle(delivery("j1", true));

        assertThat(events).containsExactly("run j1", "reply ok, run 3", "ack j1");
    }

    @Test
    void a_failure_that_may_pass_is_never_kept_so_even_a_redelivery_runs_again() {
        protocol.work = fails(ErrorCode.IMAGE_BUSY, true);
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(delivery("j1", true));

        assertThat(events)
                .containsExactly("run j1", "dead-letter image_busy", "reply failed image_busy, run 2", "ack j1");
    }

    @Test
    void a_failure_its_protocol_does_not_dead_letter_is_replied_and_acked_only() {
        protocol.work = () -> {
            run();
            return Ending.failed(
                    "failed MandatoryItemFailed".getBytes(StandardCharsets.UTF_8),
                    new Failure("MandatoryItemFailed", false, Optional.empty()));
        };

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "reply failed MandatoryItemFailed", "ack j1");
    }

    @Test
    void a_request_without_a_reply_address_is_run_kept_and_acked_and_a_redelivery_is_not_run_again() {
        AMQP.BasicProperties noReplyTo =
                properties("j1").builder().replyTo(null).build();
        pipeline.handle(new Delivery(envelope(false), noReplyTo, body("j1")));
        pipeline.handle(new Delivery(envelope(true), noReplyTo, body("j1")));

        assertThat(events).containsExactly("run j1", "ack j1", "ack j1");
    }

    @Test
    void a_request_without_a_dedup_id_is_never_answered_from_kept_replies() throws IOException {
        protocol.keyed = false;
        pipeline.handle(delivery("j1", false));
        pipeline.handle(delivery("j1", true));

        assertThat(runs).hasValue(2);
        try (Stream<Path> kept = Files.list(results)) {
            assertThat(kept).isEmpty();
        }
    }

    @Test
    void a_replayed_request_runs_afresh_though_its_first_run_succeeded() {
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(new Delivery(
                envelope(false),
                withHeaders(properties("j1"), replays.headers(properties("j1"), 1, body("j1"))),
                body("j1")));

        assertThat(events).containsExactly("run j1", "reply ok, run 2", "ack j1");
    }

    @Test
    void a_replay_count_whose_seal_does_not_verify_counts_as_a_first_run_and_gets_the_kept_reply() {
        pipeline.handle(delivery("j1", false));
        events.clear();

        pipeline.handle(new Delivery(
                envelope(false),
                withHeaders(
                        properties("j1"),
                        Map.of(DeadLetterHeaders.REPLAYS, 1, DeadLetterHeaders.REPLAY_SEAL, "forged")),
                body("j1")));

        assertThat(events).containsExactly("reply ok, run 1", "ack j1");
    }

    @Test
    void a_job_the_shutdown_interrupted_goes_back_to_its_queue_unanswered_and_not_kept() throws Exception {
        protocol.work = () -> {
            run();
            throw new JobInterruptedException();
        };

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "requeue j1");
        try (Stream<Path> kept = Files.list(results)) {
            assertThat(kept).isEmpty();
        }
    }

    @Test
    void a_publish_that_fails_while_the_broker_is_away_is_retried_and_the_request_then_acked() {
        broker.failNext(REPLY_QUEUE, new IOException("connection reset"), new IOException("connection refused"));

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "reply ok, run 1", "ack j1");
    }

    @Test
    void
            when_the_broker_stays_away_from_the_reply_the_request_goes_back_to_its_queue_and_its_redelivery_gets_the_kept_reply() {
        broker.failNext(REPLY_QUEUE, new IOException("down"), new IOException("down"), new IOException("down"));

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "requeue j1");
        events.clear();
        pipeline.handle(delivery("j1", true));
        assertThat(events).containsExactly("reply ok, run 1", "ack j1");
    }

    @Test
    void
            when_the_broker_stays_away_from_the_dead_letter_the_request_goes_back_unanswered_and_its_redelivery_is_dead_lettered() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        broker.failNext(
                Wire.DEAD_LETTER_EXCHANGE, new IOException("down"), new IOException("down"), new IOException("down"));

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "requeue j1");
        events.clear();
        pipeline.handle(delivery("j1", true));
        assertThat(events)
                .containsExactly(
                        "run j1", "dead-letter image_not_found", "reply failed image_not_found, run 2", "ack j1");
    }

    @Test
    void a_reply_refused_as_it_is_is_not_retried_but_answered_with_reply_refused_dead_lettered_and_acked() {
        broker.failNext(REPLY_QUEUE, PublishFailures.refused("the AMQP client cannot send it: frame too large"));

        pipeline.handle(delivery("j1", false));

        assertThat(events)
                .containsExactly(
                        "run j1",
                        "dead-letter reply_refused",
                        "reply reply_refused: the request ended ok, but its reply (9 bytes) could not be published:"
                                + " the AMQP client cannot send it: frame too large",
                        "ack j1");
    }

    @Test
    void a_failed_request_whose_reply_is_refused_is_dead_lettered_once_with_its_own_failure() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        broker.failNext(REPLY_QUEUE, PublishFailures.refused("too big"));

        pipeline.handle(delivery("j1", false));

        assertThat(events)
                .hasSize(4)
                .startsWith("run j1", "dead-letter image_not_found")
                .endsWith("ack j1");
        assertThat(events.get(2))
                .startsWith("reply reply_refused: the request ended with image_not_found, but its reply");
    }

    @Test
    void a_reply_the_reply_queue_keeps_nacking_is_given_up_the_request_dead_lettered_and_acked_not_requeued() {
        broker.failNext(REPLY_QUEUE, PublishFailures.nacked(), PublishFailures.nacked(), PublishFailures.nacked());

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "dead-letter reply_refused", "ack j1");
        assertThat(broker.deadLetters.get(0).header(DeadLetterHeaders.ERROR_MESSAGE))
                .contains("its reply queue " + REPLY_QUEUE + " kept refusing the reply");
    }

    @Test
    void a_dead_letter_refused_with_the_requests_own_headers_goes_without_them_saying_so() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        broker.failNext(Wire.DEAD_LETTER_EXCHANGE, PublishFailures.refused("headers over frame_max"));

        pipeline.handle(delivery("j1", false));

        assertThat(events)
                .containsExactly(
                        "run j1", "dead-letter image_not_found", "reply failed image_not_found, run 1", "ack j1");
        ScriptedBroker.Published letter = broker.deadLetters.get(0);
        assertThat(letter.header("x-trace")).isNull();
        assertThat(letter.header(DeadLetterHeaders.ERROR_MESSAGE))
                .endsWith("(the request's own headers were left off this copy: with them headers over frame_max)");
    }

    @Test
    void a_dead_letter_refused_even_without_its_headers_is_given_up_and_the_request_still_answered_and_acked() {
        protocol.work = fails(ErrorCode.IMAGE_NOT_FOUND, false);
        broker.failNext(
                Wire.DEAD_LETTER_EXCHANGE,
                PublishFailures.refused("too big"),
                PublishFailures.refused("still too big"));

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "reply failed image_not_found, run 1", "ack j1");
    }

    @Test
    void the_job_id_is_in_the_log_context_while_the_request_is_handled_and_on_its_reply() {
        protocol.work = () -> {
            jobIdsInLogContext.add(MDC.get("job") + " " + MDC.get("request"));
            return Ending.ok("ok".getBytes(StandardCharsets.UTF_8));
        };

        pipeline.handle(delivery("j1", false));

        assertThat(jobIdsInLogContext).containsExactly("j1 req-j1");
        assertThat(broker.replies)
                .extracting(reply -> reply.properties().getMessageId())
                .containsExactly("j1");
        assertThat(MDC.get("job")).isNull();
        assertThat(MDC.get("request")).isNull();
    }

    @Test
    void a_twin_of_a_request_running_now_is_acked_and_dropped_where_the_protocol_drops_duplicates() throws Exception {
        protocol.dropsDuplicates = true;
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        protocol.work = blocksUntil(running, finish);
        Thread first = new Thread(() -> pipeline.handle(delivery("j1", false)));
        first.start();
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        pipeline.handle(delivery("j1", false));
        assertThat(events).containsExactly("ack j1");

        finish.countDown();
        first.join(10_000);
        assertThat(events).containsExactly("ack j1", "reply ok", "ack j1");
        assertThat(runs).hasValue(1);
    }

    @Test
    void a_twin_delivered_to_another_worker_while_the_request_runs_waits_for_it_and_gets_its_reply_without_running()
            throws Exception {
        runWithATwinWaiting(
                anotherWorkersPipeline(),
                true,
                () -> assertThat(events)
                        .as("the twin waits while the first runs")
                        .isEmpty());

        assertThat(runs).hasValue(1);
        assertThat(events).containsExactly("reply ok", "ack j1", "reply ok", "ack j1");
    }

    @Test
    void a_twin_in_the_same_worker_where_the_protocol_does_not_drop_duplicates_also_waits_and_gets_the_kept_reply()
            throws Exception {
        runWithATwinWaiting(pipeline, false, () -> {});

        assertThat(runs).hasValue(1);
        assertThat(events).containsExactly("reply ok", "ack j1", "reply ok", "ack j1");
    }

    /**
     * Runs request j1 on the pipeline until its work blocks, hands its twin ({@code redelivered} or not) to {@code
     * twinsPipeline}, runs {@code whileTheTwinWaits} once the twin waits, then lets the first finish and both end.
     */
    private void runWithATwinWaiting(
            DeliveryPipeline<ScriptedProtocol.Caller> twinsPipeline, boolean redelivered, Runnable whileTheTwinWaits)
            throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        protocol.work = blocksUntil(running, finish);
        Thread first = new Thread(() -> pipeline.handle(delivery("j1", false)));
        first.start();
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        Thread twin = new Thread(() -> twinsPipeline.handle(delivery("j1", redelivered)));
        twin.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> twin.getState() == Thread.State.TIMED_WAITING);
        whileTheTwinWaits.run();

        finish.countDown();
        first.join(10_000);
        twin.join(10_000);
    }

    @Test
    void unrelated_requests_run_side_by_side() throws Exception {
        CountDownLatch running = new CountDownLatch(2);
        CountDownLatch finish = new CountDownLatch(1);
        protocol.work = blocksUntil(running, finish);
        String other = jobOnAnotherStripeThan("j1");
        Thread first = new Thread(() -> pipeline.handle(delivery("j1", false)));
        Thread second = new Thread(() -> anotherWorkersPipeline().handle(delivery(other, false)));
        first.start();
        second.start();

        assertThat(running.await(10, TimeUnit.SECONDS)).as("both run at once").isTrue();
        finish.countDown();
        first.join(10_000);
        second.join(10_000);
        assertThat(runs).hasValue(2);
    }

    @Test
    void a_delivery_its_protocol_cannot_read_goes_back_to_its_queue() {
        protocol.unreadable = new IllegalStateException("a bug in the protocol");

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("requeue j1");
    }

    @Test
    void an_unexpected_failure_of_the_work_sends_the_request_back_to_its_queue_unanswered() {
        protocol.work = () -> {
            run();
            throw new IllegalStateException("a bug in the job");
        };

        pipeline.handle(delivery("j1", false));

        assertThat(events).containsExactly("run j1", "requeue j1");
    }

    @Test
    void a_delivery_given_back_while_its_door_stops_goes_back_to_its_queue_unread() {
        pipeline.giveBack(delivery("j1", false));

        assertThat(events).containsExactly("requeue j1");
        assertThat(protocol.reads).hasValue(0);
    }

    private void run() {
        runs.incrementAndGet();
        events.add("run " + MDC.get("job"));
    }

    private Work succeeds() {
        return () -> {
            run();
            return Ending.ok(("ok, run " + runs.get()).getBytes(StandardCharsets.UTF_8));
        };
    }

    private Work fails(ErrorCode code, boolean mayPass) {
        return () -> {
            run();
            return Ending.failed(
                    ("failed " + code.wireName() + ", run " + runs.get()).getBytes(StandardCharsets.UTF_8),
                    new Failure(
                            code.wireName(),
                            mayPass,
                            Optional.of(DeadLetterReason.of(code, "the job failed: " + code.wireName()))));
        };
    }

    private Work blocksUntil(CountDownLatch running, CountDownLatch finish) {
        return () -> {
            runs.incrementAndGet();
            running.countDown();
            try {
                assertThat(finish.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return Ending.ok("ok".getBytes(StandardCharsets.UTF_8));
        };
    }

    /** A job id whose request falls on another claim stripe than {@code jobId}'s. */
    private String jobOnAnotherStripeThan(String jobId) {
        String stripe = KeptReplies.key(jobId, 0, body(jobId)).substring(0, 2);
        for (int i = 0; ; i++) {
            String candidate = "other-" + i;
            if (!KeptReplies.key(candidate, 0, body(candidate)).startsWith(stripe)) {
                return candidate;
            }
        }
    }

    private Delivery delivery(String jobId, boolean redelivered) {
        return new Delivery(envelope(redelivered), properties(jobId), body(jobId));
    }

    private Envelope envelope(boolean redelivered) {
        return new Envelope(++deliveryTag, redelivered, "imginject", "inject.h1");
    }

    private static AMQP.BasicProperties properties(String jobId) {
        return new AMQP.BasicProperties.Builder()
                .messageId(jobId)
                .correlationId("c-" + jobId)
                .replyTo(REPLY_QUEUE)
                .headers(Map.of("x-trace", "t-1"))
                .build();
    }

    private static AMQP.BasicProperties withHeaders(AMQP.BasicProperties properties, Map<String, Object> more) {
        Map<String, Object> headers = new HashMap<>(properties.getHeaders());
        headers.putAll(more);
        return properties.builder().headers(headers).build();
    }

    private static byte[] body(String jobId) {
        return ("{\"job\":\"" + jobId + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
