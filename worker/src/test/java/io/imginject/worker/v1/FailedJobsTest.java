package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Wire;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What becomes of jobs that fail, come too late, or come again: every failure is answered and dead-lettered with
 * headers a person can act on, a late job is not run, and a job delivered again gets the very same reply.
 */
@ExtendWith(NoHostLeaks.class)
class FailedJobsTest {
    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP, HandlerName.NBD),
            2,
            "losetup",
            "mount",
            "blkid",
            "mkfs.ext4",
            "sfdisk",
            "qemu-img");

    static WorkerFixture worker() {
        return shared.get();
    }

    static TestImages.Built image(String name) throws Exception {
        return TestImages.build(
                worker().images(), name, TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
    }

    @Test
    void a_failed_job_is_answered_and_dead_lettered_with_headers_a_person_can_act_on() throws Exception {
        TestImages.Built image = image("no-root-part.img");
        byte[] body = RequestEncoder.encode(Requests.net(image.path())
                .withImage(ImageRef.of(image.path().toString()).withPartition(new PartitionSelector.Numbered(9))));

        worker().publishRaw(
                        worker().replyingProperties("f1")
                                .messageId("failing-job")
                                .build(),
                        body);
        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetterOf("failing-job");

        assertThat(reply.error().code()).isEqualTo(ErrorCode.PARTITION_NOT_FOUND);
        assertThat(dead.properties().getCorrelationId()).isEqualTo("f1");
        assertThat(dead.header("x-imginject-error-code")).isEqualTo("partition_not_found");
        assertThat(dead.header("x-imginject-error-message").toString()).contains("no partition 9");
        assertThat(dead.properties().getHeaders())
                .as("no Java class name on the wire")
                .doesNotContainKey("x-imginject-exception-class");
        assertThat(dead.header("x-imginject-handlers-tried")).isEqualTo("loop,nbd");
        assertThat(dead.header("x-imginject-host")).isEqualTo(worker().host());
        assertThat(Instant.parse(dead.header("x-imginject-failed-at").toString()))
                .isBefore(Instant.now().plusSeconds(1));
        assertThat(dead.header("x-original-exchange")).isEqualTo(Wire.EXCHANGE);
        assertThat(dead.header("x-original-routing-key")).isEqualTo(Wire.routingKey(worker().host()));
        assertThat(dead.request()).isEqualTo(body);
    }

    @Test
    void a_handler_that_was_skipped_is_not_among_the_handlers_tried() throws Exception {
        TestImages.Built qcow2 = TestImages.toQcow2(image("skips-loop.img"));
        byte[] body = RequestEncoder.encode(Requests.net(qcow2.path())
                .withImage(ImageRef.of(qcow2.path().toString()).withPartition(new PartitionSelector.Numbered(9))));

        worker().publishRaw(
                        worker().replyingProperties("s1")
                                .messageId("skips-loop")
                                .build(),
                        body);
        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetterOf("skips-loop");

        assertThat(reply.error().code()).isEqualTo(ErrorCode.PARTITION_NOT_FOUND);
        assertThat(reply.attempts())
                .extracting(Attempt::handler, Attempt::outcome)
                .startsWith(tuple("loop", Outcome.SKIPPED))
                .contains(tuple("nbd", Outcome.FAILED));
        assertThat(dead.header("x-imginject-handlers-tried"))
                .as("loop never tried: it reads raw images only")
                .isEqualTo("nbd");
    }

    @Test
    void a_job_whose_deadline_has_passed_is_not_run_but_answered_and_dead_lettered() throws Exception {
        TestImages.Built image = image("late.img");

        worker().publishRaw(
                        worker().replyingProperties("late")
                                .messageId("late-job")
                                .headers(Map.of(
                                        Wire.DEADLINE_HEADER,
                                        Instant.now().minusSeconds(5).toEpochMilli()))
                                .build(),
                        RequestEncoder.encode(Requests.net(image.path())));
        InjectionReply reply = worker().nextRawReply().reply();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.DEADLINE_EXPIRED);
        assertThat(reply.attempts()).isEmpty();
        assertThat(worker().nextDeadLetterOf("late-job").header("x-imginject-error-code"))
                .isEqualTo("deadline_expired");
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.exists("/etc/network/interfaces")).isFalse();
        }
    }

    @Test
    void a_job_within_its_deadline_runs() throws Exception {
        TestImages.Built image = image("in-time.img");

        InjectionReply reply = worker().client()
                .submit(
                        worker().host(),
                        Requests.net(image.path()),
                        "in-time",
                        Instant.now().plusSeconds(60))
                .get(60, TimeUnit.SECONDS);

        assertThat(reply.isOk()).as("%s", reply).isTrue();
    }

    @Test
    void a_deadline_header_that_is_no_time_is_refused() throws Exception {
        worker().publishRaw(
                        worker().replyingProperties("bad-deadline")
                                .messageId("bad-deadline-job")
                                .headers(Map.of(Wire.DEADLINE_HEADER, "tomorrow"))
                                .build(),
                        RequestEncoder.encode(Requests.net(worker().images().resolve("x.img"))));

        InjectionReply reply = worker().nextRawReply().reply();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reply.error().message()).contains("x-imginject-deadline").contains("\"tomorrow\"");
        worker().nextDeadLetterOf("bad-deadline-job");
    }

    @Test
    void a_finished_job_delivered_again_gets_the_very_same_reply_without_running_again() throws Exception {
        TestImages.Built image = image("again.img");
        byte[] body = RequestEncoder.encode(Requests.everything(image.path()));

        worker().publishRaw(
                        worker().replyingProperties("again-1")
                                .messageId("job-again")
                                .build(),
                        body);
        InjectionReply first = worker().nextRawReply().reply();
        worker().publishRaw(
                        worker().replyingProperties("again-2")
                                .messageId("job-again")
                                .build(),
                        body);
        InjectionReply second = worker().nextRawReply().reply();

        assertThat(first.isOk()).as("%s", first).isTrue();
        assertThat(second).isEqualTo(first);
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/root/.ssh/authorized_keys").lines()).containsExactly(Requests.KEY);
        }
    }

    @Test
    void a_finished_job_sent_again_claiming_a_replay_count_without_its_seal_is_taken_for_the_same_run()
            throws Exception {
        TestImages.Built image = image("forged-count.img");
        byte[] body = RequestEncoder.encode(Requests.net(image.path()));

        worker().publishRaw(
                        worker().replyingProperties("count-1")
                                .messageId("job-count")
                                .build(),
                        body);
        InjectionReply first = worker().nextRawReply().reply();
        worker().publishRaw(
                        worker().replyingProperties("count-2")
                                .messageId("job-count")
                                .headers(Map.of(
                                        DeadLetterHeaders.REPLAYS, 4, DeadLetterHeaders.REPLAY_SEAL, "not-a-seal"))
                                .build(),
                        body);
        InjectionReply second = worker().nextRawReply().reply();

        assertThat(first.isOk()).as("%s", first).isTrue();
        assertThat(second)
                .as("the kept reply of the first run, not a second run")
                .isEqualTo(first);
    }

    @Test
    void a_job_sent_again_after_it_failed_runs_again_rather_than_getting_the_old_failure() throws Exception {
        java.nio.file.Path path = worker().images().resolve("comes-later.img");
        byte[] body = RequestEncoder.encode(Requests.net(path));

        worker().publishRaw(
                        worker().replyingProperties("later-1")
                                .messageId("job-later")
                                .build(),
                        body);
        InjectionReply first = worker().nextRawReply().reply();
        worker().nextDeadLetterOf("job-later");
        TestImages.build(
                worker().images(), "comes-later.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        worker().publishRaw(
                        worker().replyingProperties("later-2")
                                .messageId("job-later")
                                .build(),
                        body);
        InjectionReply second = worker().nextRawReply().reply();

        assertThat(first.error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        assertThat(second.isOk()).as("%s", second).isTrue();
    }

    @Test
    void a_job_whose_reply_queue_refuses_every_reply_is_dead_lettered_and_acked_not_requeued_for_ever()
            throws Exception {
        TestImages.Built image = image("full-reply-queue.img");
        try (com.rabbitmq.client.Connection connection =
                        io.imginject.worker.testing.TestBroker.connect("full-replies");
                com.rabbitmq.client.Channel channel = connection.createChannel()) {
            String full = channel.queueDeclare(
                            "", false, true, true, Map.of("x-max-length", 0, "x-overflow", "reject-publish"))
                    .getQueue();

            worker().publishRaw(
                            new com.rabbitmq.client.AMQP.BasicProperties.Builder()
                                    .contentType(Wire.CONTENT_TYPE)
                                    .correlationId("full")
                                    .messageId("to-a-full-queue")
                                    .replyTo(full)
                                    .build(),
                            RequestEncoder.encode(Requests.net(image.path())));
            WorkerFixture.DeadLetter dead = worker().nextDeadLetterOf("to-a-full-queue", Duration.ofMinutes(3));

            assertThat(dead.header("x-imginject-error-code")).isEqualTo("reply_refused");
            assertThat(dead.header("x-imginject-error-message").toString()).contains("ended ok");
            Thread.sleep(2000);
            assertThat(worker().requestsWaiting())
                    .as("the request is not requeued")
                    .isZero();
            assertThat(worker().deadLettersWaiting()).isZero();
        }
    }

    @Test
    void a_consumer_the_broker_cancels_comes_back_by_itself() throws Exception {
        worker().deleteQueue(Wire.queue(worker().host()));
        TestImages.Built image = image("after-cancel.img");

        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> worker().consumerCount(Wire.queue(worker().host())) == 1);
        assertThat(worker().call(Requests.net(image.path())).isOk()).isTrue();
    }
}
