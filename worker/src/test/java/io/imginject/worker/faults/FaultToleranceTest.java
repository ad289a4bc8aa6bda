package io.imginject.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.SshPublicKey;
import io.imginject.protocol.Wire;
import io.imginject.worker.dlq.DeadLetter;
import io.imginject.worker.dlq.DeadLetterQueue;
import io.imginject.worker.dlq.Selection;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestDeadLetterKey;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerProcess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two worker processes, two jobs at a time each, take 240 jobs over twelve images (raw through loop, qcow2 through
 * nbd) while they are killed with SIGKILL and restarted, RabbitMQ's node is restarted, and one is stopped with SIGTERM.
 * Four more jobs name images that do not exist yet. In the end every job is answered (a second answer, if any, is
 * the same), the four sit in the dead-letter queue with their reason, no image has a duplicate key line or a
 * damaged filesystem, the host holds nothing, and replaying the four once their images exist makes them succeed.
 * The workers' logs stay in {@code worker/target/fault-logs}.
 */
@ExtendWith(NoHostLeaks.class)
class FaultToleranceTest {
    static final int JOBS = 240;
    static final int IMAGES = 12;
    static final int FIXABLE = 4;

    @TempDir
    Path directory;

    final Map<String, List<InjectionReply>> replies = new ConcurrentHashMap<>();

    @Test
    void no_job_is_lost_or_doubled_through_kills_a_broker_restart_and_a_sigterm() throws Exception {
        HostRequirements.root();
        HostRequirements.tools(
                "losetup",
                "mount",
                "blkid",
                "mkfs.ext4",
                "sfdisk",
                "qemu-img",
                "qemu-nbd",
                "nbdfuse",
                "e2fsck",
                "rabbitmqctl");
        HostRequirements.need(
                TestBroker.uri().getHost().equals("127.0.0.1"), "the fault suite restarts the local broker");
        Path images = Files.createDirectories(directory.resolve("images"));
        List<TestImages.Built> built = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            TestImages.Built raw = TestImages.build(
                    images, "vm" + i + ".img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            built.add(i % 3 == 2 ? TestImages.toQcow2(raw) : raw);
        }
        String host = "faults-" + UUID.randomUUID().toString().substring(0, 8);
        String replyQueue = "fault-replies-" + UUID.randomUUID();
        String[] args = WorkerProcess.arguments(
                TestBroker.uri().toString(), host, images, directory.resolve("run"), "loop,nbd", 2, 30);
        Path logs = Files.createDirectories(Path.of("target", "fault-logs"));
        WorkerProcess first = WorkerProcess.start(logs.resolve(host + "-1.log"), args);
        WorkerProcess second = WorkerProcess.start(logs.resolve(host + "-2.log"), args);
        Map<String, Integer> imageOfJob = new LinkedHashMap<>();
        try (Connection connection = TestBroker.connect("fault-suite")) {
            Channel channel = connection.createChannel();
            channel.queueDeclare(replyQueue, true, false, false, Map.of("x-queue-type", "quorum"));
            channel.basicConsume(
                    replyQueue,
                    true,
                    (tag, delivery) -> replies.computeIfAbsent(
                                    delivery.getProperties().getCorrelationId(), id -> new CopyOnWriteArrayList<>())
                            .add(ReplyCodec.decode(delivery.getBody())),
                    tag -> {});
            Channel publisher = connection.createChannel();
            publisher.confirmSelect();
            for (int job = 0; job < JOBS; job++) {
                String id = "job-" + job;
                imageOfJob.put(id, job % IMAGES);
                publish(
                        publisher,
                        host,
                        replyQueue,
                        id,
                        request(built.get(job % IMAGES).path(), job));
            }
            for (int k = 0; k < FIXABLE; k++) {
                publish(
                        publisher,
                        host,
                        replyQueue,
                        "fixable-" + k,
                        request(images.resolve("later-" + k + ".img"), JOBS + k));
            }
            publisher.waitForConfirmsOrDie(30_000);

            List<Fault> faults = List.of(
                    new Fault(20, "SIGKILL worker 1", () -> restartAfterKill(first)),
                    new Fault(60, "SIGKILL worker 2", () -> restartAfterKill(second)),
                    new Fault(100, "restart RabbitMQ", FaultToleranceTest::restartBroker),
                    new Fault(140, "SIGTERM worker 1", () -> {
                        assertThat(first.terminate(Duration.ofSeconds(90))).isEqualTo(143);
                        first.restart();
                    }),
                    new Fault(180, "SIGKILL worker 1 again", () -> restartAfterKill(first)),
                    new Fault(200, "SIGKILL worker 2 again", () -> restartAfterKill(second)));
            for (Fault fault : faults) {
                awaitAnswered(fault.afterAnswers(), Duration.ofMinutes(3));
                fault.action().run();
            }
            awaitAnswered(JOBS + FIXABLE, Duration.ofMinutes(5));

            for (String id : imageOfJob.keySet()) {
                List<InjectionReply> answers = replies.get(id);
                assertThat(answers.get(0).isOk())
                        .as("%s: %s", id, answers.get(0))
                        .isTrue();
                assertThat(answers)
                        .as("every answer to %s is the same", id)
                        .allSatisfy(a -> assertThat(a).isEqualTo(answers.get(0)));
            }
            DeadLetterQueue deadLetters = new DeadLetterQueue(connection);
            List<DeadLetter> dead = deadLetters.browse(selectHost(host), 1000);
            assertThat(dead)
                    .extracting(DeadLetter::jobId)
                    .containsExactlyInAnyOrder("fixable-0", "fixable-1", "fixable-2", "fixable-3");
            assertThat(dead).allSatisfy(letter -> assertThat(letter.code()).isEqualTo("image_not_found"));
            assertThat(first.countInLog("died holding") + second.countInLog("died holding"))
                    .as("a worker killed mid-job left resources that the next job or start released")
                    .isPositive();

            for (int k = 0; k < FIXABLE; k++) {
                TestImages.build(
                        images,
                        "later-" + k + ".img",
                        TestImages.Layout.GPT,
                        TestImages.Fs.EXT4,
                        GuestTree.linuxRoot());
            }
            DeadLetterQueue.Summary replay = deadLetters.replay(
                    TestDeadLetterKey.key(), selectHost(host), 100, Optional.empty(), 3, false, quietly());
            assertThat(replay.replayed()).isEqualTo(FIXABLE);
            for (int k = 0; k < FIXABLE; k++) {
                String id = "fixable-" + k;
                Awaitility.await()
                        .atMost(Duration.ofMinutes(2))
                        .until(() -> replies.get(id).size() == 2);
                assertThat(replies.get(id).get(0).error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
                assertThat(replies.get(id).get(1).isOk())
                        .as("%s", replies.get(id).get(1))
                        .isTrue();
            }
            assertThat(deadLetters.browse(selectHost(host), 1000)).isEmpty();

            first.terminate(Duration.ofSeconds(90));
            second.terminate(Duration.ofSeconds(90));
            try (Channel cleanup = connection.createChannel()) {
                cleanup.queueDelete(replyQueue);
                cleanup.queueDelete(Wire.queue(host));
                cleanup.queueDelete(Wire.unansweredQueue(host));
            }
        } finally {
            for (WorkerProcess worker : List.of(first, second)) {
                if (worker.isAlive()) {
                    worker.kill();
                }
            }
        }

        try (Stream<Path> journal = Files.list(directory.resolve("run/journal"))) {
            assertThat(journal.toList()).as("clean stops leave no journal").isEmpty();
        }
        for (int i = 0; i < IMAGES; i++) {
            assertImageHoldsEachOfItsJobsOnce(built.get(i), i, imageOfJob);
        }
    }

    static void assertImageHoldsEachOfItsJobsOnce(TestImages.Built image, int index, Map<String, Integer> imageOfJob)
            throws Exception {
        Fsck.assertClean(image);
        Set<String> expectedKeys = new HashSet<>();
        try (ImageReader guest = ImageReader.open(image)) {
            for (Map.Entry<String, Integer> job : imageOfJob.entrySet()) {
                if (job.getValue() == index) {
                    int number = Integer.parseInt(job.getKey().substring(4));
                    expectedKeys.add(key(number));
                    assertThat(guest.read("/etc/imginject/" + job.getKey())).isEqualTo(number + "\n");
                }
            }
            List<String> lines =
                    guest.read("/root/.ssh/authorized_keys").lines().toList();
            assertThat(lines)
                    .as("no duplicate key line in %s", image.path().getFileName())
                    .doesNotHaveDuplicates();
            assertThat(lines).containsExactlyInAnyOrderElementsOf(expectedKeys);
        }
    }

    /** A fault to set off once {@code afterAnswers} jobs are answered. */
    record Fault(int afterAnswers, String what, Action action) {}

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    static void restartAfterKill(WorkerProcess worker) throws Exception {
        worker.kill();
        worker.restart();
    }

    /** Stops the broker's node, its whole Erlang VM, and starts it again, as the project's scripts start it. */
    static void restartBroker() {
        Commands.run("rabbitmqctl", "-q", "shutdown");
        Commands.run("rabbitmq-server", "-detached");
        Awaitility.await("the broker back")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> Commands.run("rabbitmqctl", "-q", "await_startup") != null);
    }

    void awaitAnswered(int count, Duration timeout) {
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> replies.size() >= count);
    }

    static Predicate<DeadLetter> selectHost(String host) {
        return new Selection(
                        false,
                        Optional.of(host),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty())
                .predicate(Clock.systemUTC());
    }

    static DeadLetterQueue.Progress quietly() {
        return new DeadLetterQueue.Progress() {
            @Override
            public void taken(DeadLetter letter, String what) {}

            @Override
            public void scanned(int done, int total) {}
        };
    }

    static void publish(Channel channel, String host, String replyQueue, String jobId, InjectionRequest request)
            throws IOException {
        channel.basicPublish(
                Wire.EXCHANGE,
                Wire.routingKey(host),
                true,
                new AMQP.BasicProperties.Builder()
                        .contentType(Wire.CONTENT_TYPE)
                        .deliveryMode(2)
                        .messageId(jobId)
                        .correlationId(jobId)
                        .replyTo(replyQueue)
                        .build(),
                RequestEncoder.encode(request));
    }

    static InjectionRequest request(Path image, int job) {
        return InjectionRequest.of(
                        ImageRef.of(image.toString()),
                        Injections.none()
                                .withKey(SshPublicKey.parse(key(job)))
                                .withFiles(List.of(FileInjection.of(
                                        "/etc/imginject/job-" + job, (job + "\n").getBytes(StandardCharsets.UTF_8)))))
                .withMandatory(Set.of(ItemName.KEY, ItemName.FILES));
    }

    /** A well-formed ed25519 public key of its own for every job. */
    static String key(int job) {
        byte[] type = "ssh-ed25519".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer blob = ByteBuffer.allocate(4 + type.length + 4 + 32);
        blob.putInt(type.length).put(type).putInt(32).putInt(job);
        return "ssh-ed25519 " + Base64.getEncoder().encodeToString(blob.array()) + " job-" + job;
    }
}
