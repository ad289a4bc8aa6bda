package io.imginject.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Wire;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process stopped with SIGTERM in the middle of a job: within the grace period the job finishes, is
 * answered and acked; past it, the job lets go of the image, consistent, and its request goes back to the queue
 * for the next worker. The job writes many small files, each fsync-ed, so it is still running when the signal comes.
 */
@ExtendWith(NoHostLeaks.class)
class GracefulShutdownTest {
    static final int FILES = 4000;

    @TempDir
    Path directory;

    Path images;
    String host;

    @BeforeEach
    void setUp() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "e2fsck");
        images = Files.createDirectories(directory.resolve("images"));
        host = "shutdown-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void deleteTheHostQueues() throws Exception {
        try (Connection connection = TestBroker.connect("shutdown-cleanup");
                Channel channel = connection.createChannel()) {
            channel.queueDelete(Wire.queue(host));
            channel.queueDelete(Wire.unansweredQueue(host));
        }
    }

    WorkerProcess worker(int grace) throws Exception {
        return WorkerProcess.start(
                directory.resolve("worker.log"),
                WorkerProcess.arguments(
                        TestBroker.uri().toString(),
                        host,
                        images,
                        directory.resolve("run"),
                        "loop",
                        1,
                        grace,
                        "--max-files",
                        Integer.toString(FILES)));
    }

    static InjectionRequest manyFiles(TestImages.Built image) {
        List<FileInjection> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(FileInjection.of(
                    "/var/lib/app/file-" + i, ("content " + i + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        return InjectionRequest.of(
                ImageRef.of(image.path().toString()), Injections.none().withFiles(files));
    }

    void awaitJobStarted(WorkerProcess worker, int before) throws Exception {
        for (int i = 0; i < 600 && worker.countInLog("job started") <= before; i++) {
            Thread.sleep(50);
        }
        assertThat(worker.countInLog("job started")).isGreaterThan(before);
    }

    static void assertAllFiles(TestImages.Built image) throws Exception {
        Fsck.assertClean(image);
        try (ImageReader guest = ImageReader.open(image)) {
            for (int i = 0; i < FILES; i++) {
                assertThat(guest.read("/var/lib/app/file-" + i)).isEqualTo("content " + i + "\n");
            }
        }
    }

    @Test
    void a_job_running_when_sigterm_comes_finishes_replies_and_is_acked_before_the_worker_exits() throws Exception {
        TestImages.Built image =
                TestImages.build(images, "busy.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        WorkerProcess worker = worker(120);
        try (Connection connection = TestBroker.connect("shutdown-test");
                InjectionClient client = InjectionClient.open(connection)) {
            CompletableFuture<InjectionReply> reply = client.submit(host, manyFiles(image));
            awaitJobStarted(worker, 0);
            assertThat(worker.countInLog("job finished"))
                    .as("the job still runs when SIGTERM comes")
                    .isZero();

            int status = worker.terminate(Duration.ofSeconds(150));

            assertThat(reply.isDone()).as("answered before the worker exited").isTrue();
            assertThat(reply.get().isOk()).as("%s", reply.get()).isTrue();
            assertThat(status).as("stopped by SIGTERM after a clean stop").isEqualTo(143);
            assertThat(worker.countInLog("stopped")).isEqualTo(1);
            assertThat(connection.createChannel().messageCount(Wire.queue(host)))
                    .as("acked")
                    .isZero();
        } finally {
            if (worker.isAlive()) {
                worker.kill();
            }
        }
        assertAllFiles(image);
    }

    @Test
    void a_job_still_running_after_the_grace_period_goes_back_to_the_queue_and_the_next_worker_finishes_it()
            throws Exception {
        TestImages.Built image = TestImages.build(
                images, "interrupted.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        WorkerProcess worker = worker(0);
        try (Connection connection = TestBroker.connect("shutdown-test");
                InjectionClient client = InjectionClient.open(connection)) {
            CompletableFuture<InjectionReply> reply = client.submit(host, manyFiles(image), "interrupted-job");
            awaitJobStarted(worker, 0);

            worker.terminate(Duration.ofSeconds(90));
            assertThat(reply.isDone()).as("not answered: interrupted").isFalse();
            assertThat(worker.countInLog("interrupted by the shutdown")).isEqualTo(1);
            worker.restart();

            InjectionReply finished = reply.get(120, TimeUnit.SECONDS);
            assertThat(finished.isOk()).as("%s", finished).isTrue();
            assertThat(finished.jobId()).isEqualTo("interrupted-job");
            worker.terminate(Duration.ofSeconds(60));
        } finally {
            if (worker.isAlive()) {
                worker.kill();
            }
        }
        assertAllFiles(image);
    }
}
