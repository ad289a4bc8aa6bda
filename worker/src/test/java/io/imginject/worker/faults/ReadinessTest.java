package io.imginject.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.Wire;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.StatusEndpoints;
import io.imginject.worker.testing.TcpProxy;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} says whether a worker process takes work, {@code /healthz} whether it is alive: not ready while
 * it connects at start, ready once it consumes, not ready while its broker connection is lost and again once the
 * client recovers it, and not ready from the moment SIGTERM starts draining a running job, while still alive.
 *
 * <p>The worker reaches the real broker through a {@link TcpProxy} the test holds and cuts: the shared broker must
 * not go down under other tests, and a proxy makes the loss real (the worker's sockets close under it, its client
 * recovers as from any network failure) and lasts exactly as long as the test says, so each flip is seen, not
 * raced against a reconnect.
 */
@ExtendWith(NoHostLeaks.class)
class ReadinessTest {
    static final Duration FLIP = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    Path images;
    String host;
    TcpProxy proxy;
    int httpPort;
    StatusEndpoints endpoints;

    @BeforeEach
    void aProxyToTheBroker() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "e2fsck");
        images = Files.createDirectories(directory.resolve("images"));
        host = "readiness-" + UUID.randomUUID().toString().substring(0, 8);
        URI broker = TestBroker.uri();
        TestBroker.connect("readiness-check").close();
        proxy = TcpProxy.to(broker.getHost(), broker.getPort());
        httpPort = StatusEndpoints.freePort();
        endpoints = new StatusEndpoints(httpPort);
    }

    @AfterEach
    void deleteTheHostQueues() throws Exception {
        proxy.close();
        try (Connection connection = TestBroker.connect("readiness-cleanup");
                Channel channel = connection.createChannel()) {
            channel.queueDelete(Wire.queue(host));
            channel.queueDelete(Wire.unansweredQueue(host));
        }
    }

    WorkerProcess worker() throws Exception {
        URI broker = TestBroker.uri();
        String proxied = broker.getScheme() + "://" + broker.getRawUserInfo() + "@127.0.0.1:" + proxy.port()
                + broker.getRawPath();
        return WorkerProcess.start(
                Files.createDirectories(Path.of("target", "readiness-logs")).resolve(host + ".log"),
                WorkerProcess.arguments(
                        proxied,
                        host,
                        images,
                        directory.resolve("run"),
                        "loop",
                        1,
                        120,
                        "--max-files",
                        Integer.toString(GracefulShutdownTest.FILES),
                        "--http-port",
                        Integer.toString(httpPort)));
    }

    @Test
    void readiness_flips_at_start_on_broker_loss_and_recovery_and_on_sigterm_while_the_worker_stays_alive()
            throws Exception {
        TestImages.Built image =
                TestImages.build(images, "busy.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        proxy.hold();
        CompletableFuture<WorkerProcess> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return worker();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        WorkerProcess worker = null;
        try {
            await("alive while it connects").atMost(FLIP).until(() -> endpoints.status("/healthz") == 200);
            assertThat(endpoints.status("/readyz"))
                    .as("not ready while it connects")
                    .isEqualTo(503);
            assertThat(endpoints.get("/readyz").body()).contains("starting");

            proxy.release();
            worker = starting.get();
            await("ready once it consumes").atMost(FLIP).until(() -> endpoints.status("/readyz") == 200);

            proxy.hold();
            proxy.cut();
            await("not ready once the broker is lost").atMost(FLIP).until(() -> endpoints.status("/readyz") == 503);
            assertThat(endpoints.get("/readyz").body()).contains("not connected to the broker");
            assertThat(endpoints.status("/healthz"))
                    .as("alive without the broker")
                    .isEqualTo(200);

            proxy.release();
            await("ready again once the client recovers").atMost(FLIP).until(() -> endpoints.status("/readyz") == 200);

            try (Connection connection = TestBroker.connect("readiness-test");
                    InjectionClient client = InjectionClient.open(connection)) {
                CompletableFuture<InjectionReply> reply = client.submit(host, GracefulShutdownTest.manyFiles(image));
                awaitJobStarted(worker);
                WorkerProcess running = worker;
                CompletableFuture<Integer> stopped =
                        CompletableFuture.supplyAsync(() -> terminate(running, Duration.ofSeconds(150)));

                await("not ready while draining").atMost(FLIP).until(() -> endpoints.status("/readyz") == 503);
                assertThat(endpoints.get("/readyz").body()).contains("draining");
                assertThat(endpoints.status("/healthz"))
                        .as("alive while draining")
                        .isEqualTo(200);
                assertThat(reply.isDone()).as("the job still runs").isFalse();

                assertThat(stopped.get()).isEqualTo(143);
                assertThat(reply.get().isOk()).as("%s", reply.get()).isTrue();
                assertThat(endpoints.status("/healthz"))
                        .as("the server stops with the worker")
                        .isEqualTo(StatusEndpoints.NO_ANSWER);
            }
        } finally {
            proxy.release();
            WorkerProcess started = worker != null ? worker : starting.join();
            if (started.isAlive()) {
                started.kill();
            }
        }
    }

    static void awaitJobStarted(WorkerProcess worker) {
        await("the job started").atMost(FLIP).until(() -> worker.countInLog("job started") > 0);
    }

    static int terminate(WorkerProcess worker, Duration timeout) {
        try {
            return worker.terminate(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
