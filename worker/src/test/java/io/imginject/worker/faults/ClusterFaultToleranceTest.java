package io.imginject.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.BrokerConnector;
import io.imginject.protocol.BrokerTls;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.Wire;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.broker.QuorumQueues;
import io.imginject.worker.dlq.DeadLetter;
import io.imginject.worker.dlq.DeadLetterQueue;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.ExtraRabbitNode;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestCluster;
import io.imginject.worker.testing.TestDeadLetterKey;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerProcess;
import io.imginject.worker.v1.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite on a three-node cluster: the machine's {@code rabbit@localhost} and two nodes started beside it.
 * Two worker processes, each preferring another extra node, take 200 jobs (and four whose images do not exist yet);
 * the node leading the host's queue is killed with SIGKILL and later restarted, then the other extra node is
 * stopped cleanly and started again. In the end every job is answered as in {@link FaultToleranceTest}, the
 * dead-letter queue and its replay work on the cluster, and the cluster is the machine's node alone again. It
 * prints what the failover cost: the longest gap without replies, and the redeliveries the workers saw.
 */
@ExtendWith(NoHostLeaks.class)
@Tag("cluster")
class ClusterFaultToleranceTest {
    static final int JOBS = 200;
    static final int IMAGES = 8;
    static final int FIXABLE = 4;

    @TempDir
    Path directory;

    final Map<String, List<InjectionReply>> replies = new ConcurrentHashMap<>();
    final List<Long> replyTimes = Collections.synchronizedList(new ArrayList<>());

    @Test
    void no_job_is_lost_or_doubled_when_the_queue_leader_is_killed_and_another_node_stops() throws Exception {
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
                "rabbitmqctl",
                "rabbitmq-server",
                "rabbitmq-queues");
        HostRequirements.need(
                TestBroker.uri().getHost().equals("127.0.0.1"), "the cluster suite joins nodes to the local broker");
        Path images = Files.createDirectories(directory.resolve("images"));
        List<TestImages.Built> built = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            TestImages.Built raw = TestImages.build(
                    images, "vm" + i + ".img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            built.add(i % 4 == 3 ? TestImages.toQcow2(raw) : raw);
        }
        String host = "cluster-" + UUID.randomUUID().toString().substring(0, 8);
        String replyQueue = "cluster-replies-" + UUID.randomUUID();
        Path nodes = Files.createTempDirectory("imginject-cluster-");
        WorkerProcess first = null;
        WorkerProcess second = null;
        Map<String, Integer> imageOfJob = new LinkedHashMap<>();
        try (TestCluster cluster = TestCluster.start(nodes)) {
            ExtraRabbitNode n2 = cluster.extraNodes().get(0);
            ExtraRabbitNode n3 = cluster.extraNodes().get(1);
            String machine = uri(5672);
            try (Connection viaN2 = connect(uri(5673))) {
                Topology.declare(viaN2.createChannel(), host, new QuorumQueues(WorkerConfig.DEFAULT_QUORUM_GROUP_SIZE));
            }
            assertThat(TestCluster.leaderOf(Wire.queue(host)))
                    .as("declared through it, n2 leads the host's queue")
                    .isEqualTo(n2.name());

            Path logs = Files.createDirectories(Path.of("target", "fault-logs"));
            Path runDir = directory.resolve("run");
            first = WorkerProcess.start(
                    logs.resolve(host + "-1.log"),
                    WorkerProcess.arguments(
                            uri(5673) + "," + machine + "," + uri(5674), host, images, runDir, "loop,nbd", 2, 30));
            second = WorkerProcess.start(
                    logs.resolve(host + "-2.log"),
                    WorkerProcess.arguments(
                            uri(5674) + "," + machine + "," + uri(5673), host, images, runDir, "loop,nbd", 2, 30));

            try (Connection connection = connect(machine + "," + uri(5674))) {
                Channel channel = connection.createChannel();
                new QuorumQueues(WorkerConfig.DEFAULT_QUORUM_GROUP_SIZE).declare(channel, replyQueue, Map.of());
                channel.basicConsume(
                        replyQueue,
                        true,
                        (tag, delivery) -> {
                            replyTimes.add(System.nanoTime());
                            replies.computeIfAbsent(
                                            delivery.getProperties().getCorrelationId(),
                                            id -> new CopyOnWriteArrayList<>())
                                    .add(ReplyCodec.decode(delivery.getBody()));
                        },
                        tag -> {});
                Channel publisher = connection.createChannel();
                publisher.confirmSelect();
                for (int job = 0; job < JOBS; job++) {
                    String id = "job-" + job;
                    imageOfJob.put(id, job % IMAGES);
                    FaultToleranceTest.publish(
                            publisher,
                            host,
                            replyQueue,
                            id,
                            FaultToleranceTest.request(built.get(job % IMAGES).path(), job));
                }
                for (int k = 0; k < FIXABLE; k++) {
                    FaultToleranceTest.publish(
                            publisher,
                            host,
                            replyQueue,
                            "fixable-" + k,
                            FaultToleranceTest.request(images.resolve("later-" + k + ".img"), JOBS + k));
                }
                publisher.waitForConfirmsOrDie(30_000);
                long started = System.nanoTime();

                List<FaultToleranceTest.Fault> faults = List.of(
                        new FaultToleranceTest.Fault(30, "SIGKILL the host queue's leader", () -> {
                            assertThat(TestCluster.leaderOf(Wire.queue(host))).isEqualTo(n2.name());
                            n2.killVm();
                        }),
                        new FaultToleranceTest.Fault(80, "restart the killed node", n2::start),
                        new FaultToleranceTest.Fault(120, "stop n3 cleanly", n3::stop),
                        new FaultToleranceTest.Fault(160, "start n3 again", n3::start));
                for (FaultToleranceTest.Fault fault : faults) {
                    awaitAnswered(fault.afterAnswers(), Duration.ofMinutes(3));
                    fault.action().run();
                }
                awaitAnswered(JOBS + FIXABLE, Duration.ofMinutes(5));
                long finished = System.nanoTime();

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
                List<DeadLetter> dead = deadLetters.browse(FaultToleranceTest.selectHost(host), 1000);
                assertThat(dead)
                        .extracting(DeadLetter::jobId)
                        .containsExactlyInAnyOrder("fixable-0", "fixable-1", "fixable-2", "fixable-3");
                assertThat(dead).allSatisfy(letter -> assertThat(letter.code()).isEqualTo("image_not_found"));
                for (int k = 0; k < FIXABLE; k++) {
                    TestImages.build(
                            images,
                            "later-" + k + ".img",
                            TestImages.Layout.GPT,
                            TestImages.Fs.EXT4,
                            GuestTree.linuxRoot());
                }
                DeadLetterQueue.Summary replay = deadLetters.replay(
                        TestDeadLetterKey.key(),
                        FaultToleranceTest.selectHost(host),
                        100,
                        Optional.empty(),
                        3,
                        false,
                        FaultToleranceTest.quietly());
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
                assertThat(deadLetters.browse(FaultToleranceTest.selectHost(host), 1000))
                        .isEmpty();

                int redelivered = first.countInLog("delivered again after it finished")
                        + second.countInLog("delivered again after it finished")
                        + first.countInLog("a duplicate of a request running now")
                        + second.countInLog("a duplicate of a request running now");
                int doubled = (int) replies.values().stream()
                                .filter(answers -> answers.size() > 1)
                                .count()
                        - FIXABLE;
                System.out.printf(
                        "cluster failover: %d jobs in %.1f s; longest gap without replies %d ms; %d redeliveries of finished"
                                + " or running jobs seen by the workers; %d jobs answered twice%n",
                        JOBS + FIXABLE, (finished - started) / 1e9, longestGapMillis(started), redelivered, doubled);

                first.terminate(Duration.ofSeconds(90));
                second.terminate(Duration.ofSeconds(90));
                try (Channel cleanup = connection.createChannel()) {
                    cleanup.queueDelete(replyQueue);
                    cleanup.queueDelete(Wire.queue(host));
                    cleanup.queueDelete(Wire.unansweredQueue(host));
                }
            }
        } finally {
            for (WorkerProcess worker : new WorkerProcess[] {first, second}) {
                if (worker != null && worker.isAlive()) {
                    worker.kill();
                }
            }
            Commands.run("rm", "-rf", nodes.toString());
        }

        try (Stream<Path> journals = Files.list(directory.resolve("run/journal"))) {
            assertThat(journals.toList()).as("clean stops leave no journal").isEmpty();
        }
        for (int i = 0; i < IMAGES; i++) {
            FaultToleranceTest.assertImageHoldsEachOfItsJobsOnce(built.get(i), i, imageOfJob);
        }
    }

    private long longestGapMillis(long started) {
        List<Long> times = new ArrayList<>(replyTimes);
        Collections.sort(times);
        long previous = started;
        long longest = 0;
        for (long time : times) {
            longest = Math.max(longest, time - previous);
            previous = time;
        }
        return longest / 1_000_000;
    }

    private void awaitAnswered(int count, Duration timeout) {
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> replies.size() >= count);
    }

    private static String uri(int port) {
        return "amqp://guest:guest@127.0.0.1:" + port + "/%2f";
    }

    private static Connection connect(String uris) throws Exception {
        return new BrokerConnector(BrokerAddresses.parse(uris), BrokerTls.DEFAULT).connect("cluster-suite");
    }
}
