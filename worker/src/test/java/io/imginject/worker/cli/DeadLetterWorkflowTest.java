package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Secret;
import io.imginject.protocol.Wire;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestDeadLetterKey;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator's dead-letter workflow with {@code imginject dlq}: jobs fail because their images are missing, the
 * operator lists and inspects them, puts the images in place, replays, and the jobs succeed. Dead letters are sealed:
 * no secret sits in one in clear, and nothing a publisher forged on a request or a letter decides where a replay
 * goes. Every command is scoped with {@code --host} to this test's worker, since the dead-letter queue is shared.
 */
@ExtendWith(NoHostLeaks.class)
class DeadLetterWorkflowTest {
    @TempDir
    Path directory;

    WorkerFixture worker;

    record Run(int status, String out, String err) {}

    @BeforeEach
    void startWorker() throws Exception {
        HostRequirements.root();
        worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 2);
    }

    @AfterEach
    void stopWorker() throws Exception {
        if (worker != null) {
            worker.close();
        }
    }

    /** Runs {@code imginject dlq <subcommand> [args]} against the test broker with the workers' key, scoped to this test's host. */
    Run dlq(String subcommand, String... args) {
        return dlqWithKey(TestDeadLetterKey.file(), subcommand, args);
    }

    /** As {@link #dlq}, with the dead-letter key file {@code key}. */
    Run dlqWithKey(Path key, String subcommand, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(
                "dlq",
                subcommand,
                "--amqp-uri",
                TestBroker.uri().toString(),
                "--dead-letter-key-file",
                key.toString(),
                "--host",
                worker.host()));
        all.addAll(List.of(args));
        int status = commandLine.execute(all.toArray(String[]::new));
        return new Run(status, out.toString(), err.toString());
    }

    /** Sends a job for an image that does not exist yet; it fails and is dead-lettered. */
    InjectionReply failingJob(String jobId, String imageName) throws Exception {
        worker.publishRaw(
                worker.replyingProperties("c-" + jobId).messageId(jobId).build(),
                RequestEncoder.encode(Requests.everything(worker.images().resolve(imageName))));
        InjectionReply reply = worker.nextRawReply().reply();
        worker.nextDeadLetter();
        return reply;
    }

    /** A queue of this test's own, where a forged dead letter would send its replay. */
    String trap(Channel channel) throws Exception {
        return channel.queueDeclare("", false, true, true, null).getQueue();
    }

    @Test
    void a_dead_letter_holds_no_secret_in_clear_yet_replays_to_a_job_that_succeeds() throws Exception {
        String password = "hunter2-in-a-dead-letter";
        String content = "top-secret-file-content";
        InjectionRequest request = InjectionRequest.of(
                ImageRef.of(worker.images().resolve("secret.img").toString()),
                Injections.none()
                        .withAdminPassword(Secret.of(password))
                        .withFiles(List.of(FileInjection.of("/etc/motd", Requests.utf8(content)))));
        worker.publishRaw(
                worker.replyingProperties("c-secret").messageId("job-secret").build(), RequestEncoder.encode(request));
        assertThat(worker.nextRawReply().reply().error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);

        WorkerFixture.DeadLetter raw = worker.nextDeadLetter();
        String onTheWire = new String(raw.body(), StandardCharsets.ISO_8859_1) + raw.properties();
        for (String secret : List.of(
                password,
                content,
                Base64.getEncoder().encodeToString(Requests.utf8(content)).substring(0, 20))) {
            assertThat(onTheWire).as("the letter as the broker keeps it").doesNotContain(secret);
        }
        assertThat(raw.header("x-imginject-sealed")).isEqualTo("v1");
        assertThat(raw.request()).as("the key opens it to the very request").isEqualTo(RequestEncoder.encode(request));
        Run show = dlq("show", "--job-id", "job-secret");
        assertThat(show.out())
                .contains("seal: holds")
                .contains("\"admin_password\" : \"<redacted>\"")
                .doesNotContain(password)
                .doesNotContain(content);
        Run withoutKey = dlqWithKey(directory.resolve("no-such.key"), "show", "--job-id", "job-secret");
        assertThat(withoutKey.out())
                .contains("the body is sealed; it cannot be shown without the dead-letter key")
                .contains("does not exist")
                .doesNotContain(password);

        TestImages.Built image = TestImages.build(
                worker.images(), "secret.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        Run replay = dlq("replay", "--job-id", "job-secret");
        InjectionReply replayed = worker.nextRawReply().reply();

        assertThat(replay.out()).as(replay.err()).contains("1 replayed");
        assertThat(replayed.isOk()).as("%s", replayed).isTrue();
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/etc/motd")).isEqualTo(content);
        }
    }

    @Test
    void
            a_request_with_forged_bookkeeping_headers_is_dead_lettered_with_the_workers_own_and_replayed_where_it_came_from()
                    throws Exception {
        try (Connection connection = TestBroker.connect("forger");
                Channel channel = connection.createChannel()) {
            String trap = trap(channel);
            Map<String, Object> forged = Map.of(
                    "x-original-exchange",
                    "",
                    "x-original-routing-key",
                    trap,
                    "x-imginject-replays",
                    2,
                    "x-imginject-host",
                    "another-host",
                    "x-death",
                    List.of(Map.of(
                            "reason",
                            "expired",
                            "queue",
                            trap,
                            "exchange",
                            "",
                            "routing-keys",
                            List.of(trap),
                            "count",
                            1L)),
                    "x-first-death-queue",
                    trap);
            worker.publishRaw(
                    worker.replyingProperties("c-forged")
                            .messageId("job-forged")
                            .headers(forged)
                            .build(),
                    RequestEncoder.encode(Requests.net(worker.images().resolve("forged.img"))));
            worker.nextRawReply();

            WorkerFixture.DeadLetter dead = worker.nextDeadLetter();
            assertThat(dead.header("x-original-exchange")).isEqualTo(Wire.EXCHANGE);
            assertThat(dead.header("x-original-routing-key")).isEqualTo(Wire.routingKey(worker.host()));
            assertThat(dead.header("x-imginject-host")).isEqualTo(worker.host());
            assertThat(dead.header("x-imginject-replays"))
                    .as("a first run, whatever the request said")
                    .isNull();
            assertThat(dead.properties().getHeaders()).doesNotContainKeys("x-death", "x-first-death-queue");

            TestImages.build(
                    worker.images(), "forged.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            Run replay = dlq("replay", "--job-id", "job-forged");

            assertThat(replay.out())
                    .as(replay.err())
                    .contains("replayed to imginject " + Wire.routingKey(worker.host()));
            assertThat(worker.nextRawReply().reply().isOk()).isTrue();
            assertThat(channel.messageCount(trap))
                    .as("nothing went where the forged headers said")
                    .isZero();
        }
    }

    @Test
    void a_letter_no_worker_sealed_is_refused_by_replay_and_left_in_the_queue() throws Exception {
        try (Connection connection = TestBroker.connect("forger");
                Channel channel = connection.createChannel()) {
            String trap = trap(channel);
            channel.basicPublish(
                    Wire.DEAD_LETTER_EXCHANGE,
                    Wire.routingKey(worker.host()),
                    new AMQP.BasicProperties.Builder()
                            .messageId("job-unsealed")
                            .headers(Map.of(
                                    "x-imginject-host",
                                    worker.host(),
                                    "x-imginject-error-code",
                                    "image_not_found",
                                    "x-original-exchange",
                                    "",
                                    "x-original-routing-key",
                                    trap))
                            .build(),
                    RequestEncoder.encode(Requests.net(worker.images().resolve("x.img"))));
            worker.nextDeadLetter();

            Run replay = dlq("replay", "--job-id", "job-unsealed");

            assertThat(replay.out())
                    .as(replay.err())
                    .contains("job-unsealed  skipped: refused: the letter is not sealed")
                    .contains("left in the dead-letter queue")
                    .contains("0 replayed")
                    .contains("1 skipped");
            assertThat(channel.messageCount(trap)).isZero();
            assertThat(dlq("list").out()).contains("job-unsealed").contains("1 message(s)");
            assertThat(dlq("show", "--job-id", "job-unsealed").out()).contains("seal: none");
        }
    }

    @Test
    void a_sealed_letter_changed_after_it_was_sealed_is_refused_by_replay() throws Exception {
        try (Connection connection = TestBroker.connect("forger");
                Channel channel = connection.createChannel()) {
            String trap = trap(channel);
            worker.publishRaw(
                    worker.replyingProperties("c-job-t").messageId("job-t").build(),
                    RequestEncoder.encode(Requests.net(worker.images().resolve("t.img"))));
            worker.nextRawReply();
            WorkerFixture.DeadLetter sealed = worker.nextDeadLetter();
            Map<String, Object> redirected = new HashMap<>(sealed.properties().getHeaders());
            redirected.put("x-original-exchange", "");
            redirected.put("x-original-routing-key", trap);
            byte[] flipped = sealed.body().clone();
            flipped[flipped.length - 1] ^= 1;
            channel.basicPublish(
                    Wire.DEAD_LETTER_EXCHANGE,
                    Wire.routingKey(worker.host()),
                    sealed.properties().builder().headers(redirected).build(),
                    sealed.body());
            channel.basicPublish(
                    Wire.DEAD_LETTER_EXCHANGE, Wire.routingKey(worker.host()), sealed.properties(), flipped);

            Run replay = dlq("replay", "--job-id", "job-t");

            assertThat(replay.out())
                    .as(replay.err())
                    .contains("selected 3: 1 replayed, 0 parked, 0 purged, 2 skipped")
                    .contains("job-t  skipped: refused: the letter's seal does not verify");
            assertThat(channel.messageCount(trap)).isZero();
            assertThat(worker.nextRawReply().reply().jobId())
                    .as("the untouched letter was replayed")
                    .isEqualTo("job-t");
        }
    }

    @Test
    void a_replay_count_a_publisher_sets_without_a_valid_seal_counts_as_a_first_run() throws Exception {
        worker.publishRaw(
                worker.replyingProperties("c-count")
                        .messageId("job-count")
                        .headers(Map.of(
                                "x-imginject-replays",
                                5,
                                "x-imginject-replay-seal",
                                Base64.getEncoder().encodeToString(new byte[32])))
                        .build(),
                RequestEncoder.encode(Requests.net(worker.images().resolve("count.img"))));
        worker.nextRawReply();

        assertThat(worker.nextDeadLetter().header("x-imginject-replays")).isNull();
        Run replay = dlq("replay", "--job-id", "job-count", "--max-replays", "3");
        assertThat(replay.out())
                .as(replay.err())
                .contains("job-count  replayed to imginject")
                .contains("1 replayed, 0 parked");
        worker.nextRawReply();
        assertThat(worker.nextDeadLetter().header("x-imginject-replays"))
                .as("the seal dlq replay set is trusted")
                .isEqualTo("1");
    }

    @Test
    void list_and_show_say_why_each_job_failed_without_revealing_secrets() throws Exception {
        failingJob("job-a", "a.img");

        Run list = dlq("list");
        Run show = dlq("show", "--job-id", "job-a");

        assertThat(list.out())
                .contains("job-a")
                .contains(worker.host())
                .contains("image_not_found")
                .contains("1 message(s)");
        assertThat(show.out())
                .contains("header x-imginject-error-code: image_not_found")
                .contains("\"admin_password\" : \"<redacted>\"")
                .contains("<6 bytes redacted>")
                .doesNotContain("s3cret");
        assertThat(dlq("list").out())
                .as("listing leaves the messages where they are")
                .contains("job-a");
    }

    @Test
    void replay_after_the_cause_is_fixed_makes_the_jobs_succeed_and_empties_the_queue() throws Exception {
        assertThat(failingJob("job-b", "b.img").error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        failingJob("job-c", "c.img");
        TestImages.build(worker.images(), "b.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        TestImages.build(worker.images(), "c.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());

        Run dryRun = dlq("replay", "--code", "image_not_found", "--dry-run");
        assertThat(dryRun.out())
                .contains("dry run: looked at")
                .contains("2 replayed")
                .contains("would be replayed to imginject");
        assertThat(dlq("list").out()).contains("2 message(s)");

        Run replay = dlq("replay", "--code", "image_not_found");
        InjectionReply first = worker.nextRawReply().reply();
        InjectionReply second = worker.nextRawReply().reply();

        assertThat(replay.status()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("selected 2: 2 replayed");
        assertThat(List.of(first.jobId(), second.jobId())).containsExactlyInAnyOrder("job-b", "job-c");
        assertThat(first.isOk()).as("%s", first).isTrue();
        assertThat(second.isOk()).as("%s", second).isTrue();
        assertThat(dlq("list").out()).contains("0 message(s)");
    }

    @Test
    void a_job_replayed_too_often_goes_to_the_parking_lot() throws Exception {
        failingJob("job-d", "d.img");
        dlq("replay", "--job-id", "job-d");
        worker.nextRawReply();
        worker.nextDeadLetter();

        Run second = dlq("replay", "--job-id", "job-d", "--max-replays", "1");

        assertThat(second.out()).contains("parked (replayed 1 times already)").contains("1 parked");
        assertThat(dlq("list").out()).contains("0 message(s)");
        try (Connection connection = TestBroker.connect("parking");
                Channel channel = connection.createChannel()) {
            GetResponse parked = null;
            for (int i = 0; i < 1000 && parked == null; i++) {
                GetResponse response = channel.basicGet(Wire.PARKING_LOT_QUEUE, false);
                if (response == null) {
                    break;
                }
                if ("job-d".equals(response.getProps().getMessageId())) {
                    parked = response;
                    channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
                }
            }
            assertThat(parked).as("job-d in the parking lot").isNotNull();
            assertThat(parked.getProps().getHeaders().get("x-imginject-replays").toString())
                    .isEqualTo("1");
        }
    }

    @Test
    void a_replay_no_queue_takes_is_skipped_and_stays_in_the_dead_letter_queue() throws Exception {
        failingJob("job-h", "h.img");

        Run replay = dlq("replay", "--job-id", "job-h", "--to-host", "no-worker-" + worker.host());

        assertThat(replay.status()).as(replay.err()).isZero();
        assertThat(replay.out())
                .contains("job-h  skipped: no queue took the copy (NO_ROUTE for imginject inject.no-worker-")
                .contains("; left in the dead-letter queue")
                .contains("1 skipped");
        assertThat(dlq("list").out()).contains("job-h").contains("1 message(s)");
    }

    @Test
    void purge_removes_only_what_is_selected_and_dry_run_removes_nothing() throws Exception {
        failingJob("job-e", "e.img");
        failingJob("job-f", "f.img");

        assertThat(dlq("purge", "--job-id", "job-e", "--dry-run").out())
                .contains("would be purged")
                .contains("1 purged");
        assertThat(dlq("list").out()).contains("2 message(s)");
        assertThat(dlq("purge", "--job-id", "job-e").out()).contains("job-e  purged");

        assertThat(dlq("list").out()).contains("job-f").doesNotContain("job-e").contains("1 message(s)");
    }

    @Test
    void filters_by_age() throws Exception {
        failingJob("job-g", "g.img");

        Run old = dlq("list", "--older-than", "1h");
        assertThat(old.out()).as(old.err()).contains("0 message(s)");
        assertThat(dlq("list", "--newer-than", "1h").out()).contains("job-g");
    }

    @Test
    void replay_and_purge_refuse_to_run_without_a_selection() {
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int status = commandLine.execute(
                "dlq", "purge", "--amqp-uri", TestBroker.uri().toString());

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("select messages with --host");
    }
}
