package io.imginject.worker.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.worker.testing.Exposition;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.StatusEndpoints;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real worker on the real broker serves its metrics over HTTP: after a job that succeeds, the same request sent
 * again (answered from its kept reply, not run) and a job that fails, the
 * scrape passes {@code promtool check metrics} (Prometheus's own linter of the exposition format and naming
 * conventions) and its counters say what those jobs did.
 */
@ExtendWith(NoHostLeaks.class)
class MetricsExpositionTest {
    @TempDir
    Path directory;

    @Test
    void after_real_jobs_the_scrape_passes_promtool_and_counts_what_the_jobs_did() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("promtool", "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk");
        int port = StatusEndpoints.freePort();
        StatusEndpoints endpoints = new StatusEndpoints(port);
        try (WorkerFixture worker = WorkerFixture.start(
                directory, List.of(HandlerName.LOOP), config -> config.httpPort(port), UnaryOperator.identity())) {
            TestImages.Built image = TestImages.build(
                    worker.images(), "metrics.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            InjectionRequest metadata = InjectionRequest.of(
                    ImageRef.of(image.path().toString()), Injections.none().withMetadata(Map.of("role", "web")));
            InjectionReply ok = worker.client()
                    .submit(worker.host(), metadata, "metrics-ok")
                    .get(2, TimeUnit.MINUTES);
            InjectionReply again = worker.client()
                    .submit(worker.host(), metadata, "metrics-ok")
                    .get(2, TimeUnit.MINUTES);
            InjectionReply missing = worker.call(InjectionRequest.of(
                    ImageRef.of(worker.images().resolve("missing.img").toString()),
                    Injections.none().withMetadata(Map.of("role", "web"))));
            assertThat(ok.isOk()).as("%s", ok).isTrue();
            assertThat(again).as("sent again: answered from the kept reply").isEqualTo(ok);
            assertThat(missing.error().code().wireName()).isEqualTo("image_not_found");
            worker.nextDeadLetter();

            HttpResponse<String> scrape = endpoints.get("/metrics");

            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.headers().firstValue("Content-Type"))
                    .hasValue("text/plain; version=0.0.4; charset=utf-8");
            Path file = Files.writeString(directory.resolve("metrics.txt"), scrape.body());
            assertThat(promtoolCheck(file))
                    .as("promtool check metrics < %s", file)
                    .isEmpty();
            Exposition metrics = new Exposition(scrape.body());
            assertThat(metrics.value(
                            "imginject_jobs_total",
                            Map.of("handler", "loop", "filesystem", "kernel", "outcome", "ok", "code", "none")))
                    .isEqualTo(1);
            assertThat(metrics.value(
                            "imginject_jobs_total",
                            Map.of(
                                    "handler",
                                    "none",
                                    "filesystem",
                                    "none",
                                    "outcome",
                                    "error",
                                    "code",
                                    "image_not_found")))
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_job_duration_seconds_count", Map.of("handler", "loop")))
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_job_duration_seconds_bucket", Map.of("handler", "loop", "le", "+Inf")))
                    .isEqualTo(1);
            assertThat(metrics.value(
                            "imginject_handler_attempts_total",
                            Map.of("handler", "loop", "outcome", "ok", "code", "none")))
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_image_lock_wait_seconds_count", Map.of("code", "none")))
                    .as("the job that found its image took its lock")
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_dead_letters_total", Map.of("code", "image_not_found")))
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_jobs_in_flight", Map.of())).isZero();
            assertThat(metrics.value("imginject_broker_connected", Map.of("connection", "consume")))
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_broker_connected", Map.of("connection", "publish")))
                    .isEqualTo(1);
            assertThat(metrics.value("imginject_kept_reply_hits_total", Map.of()))
                    .isEqualTo(1);
            assertThat(metrics.has("jvm_memory_used_bytes")).isTrue();
            assertThat(metrics.has("process_uptime_seconds")).isTrue();
            assertThat(metrics.has("process_files_open_files")).isTrue();
        }
    }

    /** What promtool says of the exposition in {@code file}, read from its standard input: nothing when it is clean. */
    private static String promtoolCheck(Path file) throws Exception {
        Process promtool = new ProcessBuilder("promtool", "check", "metrics")
                .redirectInput(file.toFile())
                .redirectErrorStream(true)
                .start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (InputStream in = promtool.getInputStream()) {
            in.transferTo(output);
        }
        assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String said = output.toString(StandardCharsets.UTF_8);
        assertThat(promtool.exitValue())
                .as("promtool's exit status; it said: %s", said)
                .isZero();
        return said;
    }
}
