package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Wire;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator's dead-letter workflow with {@code imginject dlq}: jobs fail because their images are missing, the
 * operator lists and inspects them, puts the images in place, replays, and the jobs succeed. Every command is
 * scoped with {@code --host} to this test's worker, since the dead-letter queue is shared.
 */
@ExtendWith(NoHostLeaks.class)
class DeadLetterWorkflowTest {
    @TempDir
    Path directory;
    WorkerFixture worker;

    record Run(int status, String out, String err) {
    }

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

    /** Runs {@code imginject dlq <subcommand> [args]} against the test broker, scoped to this test's host. */
    Run dlq(String subcommand, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("dlq", subcommand, "--amqp-uri", TestBroker.uri().toString(),
                "--host", worker.host()));
        all.addAll(List.of(args));
        int status = commandLine.execute(all.toArray(String[]::new));
        return new Run(status, out.toString(), err.toString());
    }

    /** Sends a job for an image that does not exist yet; it fails and is dead-lettered. */
    InjectionReply failingJob(String jobId, String imageName) throws Exception {
        worker.publishRaw(worker.replyingProperties("c-" + jobId).messageId(jobId).build(),
                RequestEncoder.encode(Requests.everything(worker.images().resolve(imageName))));
        InjectionReply reply = worker.nextRawReply().reply();
        worker.nextDeadLetter();
        return reply;
    }

    @Test
    void list_and_show_say_why_each_job_failed_without_revealing_secrets() throws Exception {
        failingJob("job-a", "a.img");

        Run list = dlq("list");
        Run show = dlq("show", "--job-id", "job-a");

        assertThat(list.out()).contains("job-a").contains(worker.host()).contains("image_not_found").contains("1 message(s)");
        assertThat(show.out()).contains("header x-imginject-error-code: image_not_found")
                .contains("\"admin_password\" : \"<redacted>\"").contains("<6 bytes redacted>").doesNotContain("s3cret");
        assertThat(dlq("list").out()).as("listing leaves the messages where they are").contains("job-a");
    }

    @Test
    void replay_after_the_cause_is_fixed_makes_the_jobs_succeed_and_empties_the_queue() throws Exception {
        assertThat(failingJob("job-b", "b.img").error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        failingJob("job-c", "c.img");
        TestImages.build(worker.images(), "b.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        TestImages.build(worker.images(), "c.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());

        Run dryRun = dlq("replay", "--code", "image_not_found", "--dry-run");
        assertThat(dryRun.out()).contains("dry run: looked at").contains("2 replayed").contains("would be replayed to imginject");
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
        try (Connection connection = TestBroker.connect("parking"); Channel channel = connection.createChannel()) {
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
            assertThat(parked.getProps().getHeaders().get("x-imginject-replays").toString()).isEqualTo("1");
        }
    }

    @Test
    void a_replay_no_queue_takes_is_skipped_and_stays_in_the_dead_letter_queue() throws Exception {
        failingJob("job-h", "h.img");

        Run replay = dlq("replay", "--job-id", "job-h", "--to-host", "no-worker-" + worker.host());

        assertThat(replay.status()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("job-h  skipped: no queue took the copy (NO_ROUTE for imginject inject.no-worker-")
                .contains("; left in the dead-letter queue").contains("1 skipped");
        assertThat(dlq("list").out()).contains("job-h").contains("1 message(s)");
    }

    @Test
    void purge_removes_only_what_is_selected_and_dry_run_removes_nothing() throws Exception {
        failingJob("job-e", "e.img");
        failingJob("job-f", "f.img");

        assertThat(dlq("purge", "--job-id", "job-e", "--dry-run").out()).contains("would be purged").contains("1 purged");
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

        int status = commandLine.execute("dlq", "purge", "--amqp-uri", TestBroker.uri().toString());

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("select messages with --host");
    }
}
