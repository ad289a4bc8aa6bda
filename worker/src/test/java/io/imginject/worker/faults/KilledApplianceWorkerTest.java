package io.imginject.worker.faults;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Wire;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL while a libguestfs appliance works on an image takes the appliance with it (the
 * library's recovery process kills it when the worker dies) and the qemu-nbd serving the image to it (which serves
 * one client only), and the job goes back to the queue for the next worker.
 */
@ExtendWith(NoHostLeaks.class)
class KilledApplianceWorkerTest {
    @TempDir
    Path directory;

    @Test
    void the_appliance_dies_with_its_worker_and_the_job_goes_back_to_the_queue() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("mkfs.ext4", "sfdisk", "qemu-img");
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
        Path images = Files.createDirectories(directory.resolve("images"));
        TestImages.Built image = TestImages.build(
                images, "appliance.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        String host = "appliance-kill-" + UUID.randomUUID().toString().substring(0, 8);
        WorkerProcess worker = WorkerProcess.start(
                directory.resolve("worker.log"),
                "--amqp-uri",
                TestBroker.uri().toString(),
                "--host",
                host,
                "--image-root",
                images.toString(),
                "--run-dir",
                directory.resolve("run").toString(),
                "--handlers",
                HandlerName.GUESTFS.wireName(),
                "--guestfs-force-tcg",
                "true",
                "--concurrency",
                "1");
        try (Connection connection = TestBroker.connect("appliance-kill");
                Channel channel = connection.createChannel()) {
            channel.basicPublish(
                    Wire.EXCHANGE,
                    Wire.routingKey(host),
                    new AMQP.BasicProperties.Builder()
                            .contentType(Wire.CONTENT_TYPE)
                            .messageId("appliance-job")
                            .deliveryMode(2)
                            .build(),
                    RequestEncoder.encode(Requests.net(image.path())));
            Path runDir = directory.resolve("run");
            Awaitility.await("the appliance up")
                    .atMost(Duration.ofMinutes(2))
                    .until(() -> !appliancesOf(runDir).isEmpty());
            Awaitility.await("the appliance connected to its qemu-nbd")
                    .atMost(Duration.ofMinutes(1))
                    .until(() -> servesAClient(runDir));

            worker.kill();

            Awaitility.await("the appliance gone")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> appliancesOf(runDir).isEmpty());
            Awaitility.await("the qemu-nbd that served it gone")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> helpersOf(runDir).isEmpty());
            Awaitility.await("the job back in the queue")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> channel.messageCount(Wire.queue(host)) == 1);
            channel.queueDelete(Wire.queue(host));
            channel.queueDelete(Wire.unansweredQueue(host));
        } finally {
            if (worker.isAlive()) {
                worker.kill();
            }
        }
    }

    /** The appliances reading a disk served from the worker's run directory (qemu-nbd's socket is there). */
    static List<ProcessHandle> appliancesOf(Path runDir) {
        return helpersOf(runDir).stream()
                .filter(p ->
                        p.info().command().map(c -> c.contains("qemu-system")).orElse(false))
                .toList();
    }

    /**
     * Whether the qemu-nbd serving from the run directory has accepted its client: a socket besides its listening
     * one. Until then a worker killed leaves it waiting for a client that never comes (the next worker's crash
     * recovery ends it), which is not what this test is about.
     */
    static boolean servesAClient(Path runDir) {
        return helpersOf(runDir).stream()
                .filter(p -> p.info().command().map(c -> c.endsWith("qemu-nbd")).orElse(false))
                .anyMatch(p -> sockets(p) >= 2);
    }

    private static long sockets(ProcessHandle process) {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return descriptors
                    .filter(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Every process whose arguments name the worker's run directory: the appliance and the qemu-nbd serving it. */
    static List<ProcessHandle> helpersOf(Path runDir) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .arguments()
                        .map(a -> Arrays.stream(a).anyMatch(arg -> arg.contains(runDir.toString())))
                        .orElse(false))
                .toList();
    }
}
