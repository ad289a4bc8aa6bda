package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.Secret;
import io.imginject.protocol.Wire;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker whose config file says {@code log-format=json} (and whose broker, password included, comes from
 * {@code amqp-uri-file}) logs one JSON object a line, each job's lines carrying the job id, the host, the handler
 * and the error code as fields, and no secret of the requests. The log stays in target/json-logs, where
 * deploy/check-no-secrets looks for the tests' secrets.
 */
@ExtendWith(NoHostLeaks.class)
class JsonLogsTest {
    static final String PASSWORD = "hunter2-in-json";
    static final String CONTENT = "top-secret-file-content in json";

    @TempDir
    Path directory;

    @Test
    void every_line_is_json_with_the_job_host_handler_and_error_code_and_no_secret() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("losetup", "mount", "blkid", "mkfs.ext4", "sfdisk");
        String host = "json-" + UUID.randomUUID().toString().substring(0, 8);
        Path images = Files.createDirectories(directory.resolve("images"));
        TestImages.Built image =
                TestImages.build(images, "json.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        Path uriFile = Files.writeString(directory.resolve("amqp-uri"), TestBroker.uri() + "\n");
        Path config = Files.writeString(
                directory.resolve("imginject.properties"),
                String.join(
                        "\n",
                        "amqp-uri-file = " + uriFile,
                        "host = " + host,
                        "image-root = " + images,
                        "trusted-image-root = " + images,
                        "run-dir = " + directory.resolve("run"),
                        "handlers = loop",
                        "concurrency = 1",
                        "log-format = json",
                        ""));
        Path log = Files.createDirectories(Path.of("target", "json-logs")).resolve(host + ".log");

        WorkerProcess worker = WorkerProcess.start(log, "--config", config.toString());
        List<InjectionReply> replies = new ArrayList<>();
        try (Connection connection = TestBroker.connect("json-logs");
                InjectionClient client = InjectionClient.open(connection)) {
            for (InjectionRequest request : List.of(
                    withSecrets(ImageRef.of(image.path().toString())),
                    withSecrets(
                            ImageRef.of(image.path().toString()).withPartition(PartitionSelector.fromWireValue(9))))) {
                replies.add(client.submit(host, request).get(60, TimeUnit.SECONDS));
            }
        } finally {
            worker.terminate(Duration.ofSeconds(60));
            deleteQueues(host);
        }

        assertThat(replies.get(0).isOk()).as("%s", replies.get(0)).isTrue();
        assertThat(replies.get(1).error().code()).isEqualTo(ErrorCode.PARTITION_NOT_FOUND);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            assertThat(line).doesNotContain(PASSWORD).doesNotContain(CONTENT).doesNotContain("hunter2");
            lines.add(json.readTree(line));
        }
        assertThat(lines)
                .anySatisfy(line ->
                        assertThat(line.path("formattedMessage").asText()).contains("ready:"));
        assertThat(lines).allSatisfy(line -> {
            assertThat(line.path("level").asText()).isNotEmpty();
            assertThat(line.has("timestamp")).isTrue();
        });
        for (InjectionReply reply : replies) {
            assertThat(lines).as("a line of job %s", reply.jobId()).anySatisfy(line -> {
                assertThat(line.path("mdc").path("job").asText()).isEqualTo(reply.jobId());
                assertThat(line.path("mdc").path("host").asText()).isEqualTo(host);
            });
        }
        assertThat(lines).as("the failed try's line").anySatisfy(line -> {
            assertThat(line.path("mdc").path("job").asText())
                    .isEqualTo(replies.get(1).jobId());
            assertThat(line.path("mdc").path("handler").asText()).isEqualTo("loop");
            assertThat(line.path("mdc").path("error_code").asText()).isEqualTo("partition_not_found");
            assertThat(line.path("formattedMessage").asText()).contains("loop could not open");
        });
        assertThat(lines).as("the failed job's line").anySatisfy(line -> {
            assertThat(line.path("mdc").path("error_code").asText()).isEqualTo("partition_not_found");
            assertThat(line.path("formattedMessage").asText()).startsWith("job failed:");
        });
    }

    static InjectionRequest withSecrets(ImageRef image) {
        return InjectionRequest.of(
                image,
                Injections.none()
                        .withAdminPassword(Secret.of(PASSWORD))
                        .withFiles(List.of(FileInjection.of("/etc/motd", CONTENT.getBytes(StandardCharsets.UTF_8)))));
    }

    static void deleteQueues(String host) throws Exception {
        try (Connection connection = TestBroker.connect("json-logs-cleanup");
                Channel channel = connection.createChannel()) {
            channel.queueDelete(Wire.queue(host));
            channel.queueDelete(Wire.unansweredQueue(host));
        }
    }
}
