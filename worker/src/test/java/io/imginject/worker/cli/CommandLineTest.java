package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.oslo.OsloSettings;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The imginject command line, run in-process. */
@ExtendWith(NoHostLeaks.class)
class CommandLineTest {
    @TempDir
    Path directory;

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int status = commandLine.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void submit_builds_a_request_from_flags_and_prints_the_reply() throws Exception {
        HostRequirements.root();
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(), "cli.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            Path motd = Files.writeString(directory.resolve("motd"), "from the cli\n");
            Path password = Files.writeString(directory.resolve("pw"), "secret\n");

            Run result = run(
                    "submit",
                    "--amqp-uri",
                    TestBroker.uri().toString(),
                    "--host",
                    worker.host(),
                    "--image",
                    image.path().toString(),
                    "--file",
                    "/etc/motd=" + motd,
                    "--metadata",
                    "role=web",
                    "--admin-password-file",
                    password.toString(),
                    "--mandatory",
                    "files,metadata",
                    "--job-id",
                    "cli-1");

            assertThat(result.status()).as(result.err()).isZero();
            assertThat(result.out())
                    .contains("\"status\" : \"ok\"")
                    .contains("\"job_id\" : \"cli-1\"")
                    .doesNotContain("secret");
            try (ImageReader guest = ImageReader.open(image)) {
                assertThat(guest.read("/etc/motd")).isEqualTo("from the cli\n");
                assertThat(guest.read("/meta.js")).isEqualTo("{\"role\":\"web\"}");
            }
        }
    }

    @Test
    void submit_exits_1_when_the_job_fails_and_2_when_no_worker_has_the_host() throws Exception {
        HostRequirements.root();
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            Run failed = run(
                    "submit",
                    "--amqp-uri",
                    TestBroker.uri().toString(),
                    "--host",
                    worker.host(),
                    "--image",
                    worker.images().resolve("missing.img").toString(),
                    "--metadata",
                    "a=b");
            Run unroutable = run(
                    "submit",
                    "--amqp-uri",
                    TestBroker.uri().toString(),
                    "--host",
                    "nobody-serves-this-host",
                    "--image",
                    "/x.img",
                    "--metadata",
                    "a=b");

            assertThat(failed.status()).isEqualTo(1);
            assertThat(failed.out()).contains("image_not_found");
            assertThat(unroutable.status()).isEqualTo(2);
            assertThat(unroutable.err()).contains("no queue is bound for host \"nobody-serves-this-host\"");
        }
    }

    @Test
    void submit_refuses_bad_flags_before_sending_anything() throws Exception {
        Path local = Files.writeString(directory.resolve("local"), "x");

        Run climbing = run("submit", "--image", "/x.img", "--file", "/etc/../x=" + local, "--host", "h");
        Run unreadable = run("submit", "--image", "/x.img", "--file", "/etc/x=" + directory, "--host", "h");

        assertThat(climbing.status()).isEqualTo(2);
        assertThat(climbing.err()).contains("$.inject.files[0].path");
        assertThat(unreadable.status()).isEqualTo(2);
        assertThat(unreadable.err()).contains("cannot read " + directory);
    }

    @Test
    void doctor_reports_each_handler_and_the_broker() {
        Run result = run("doctor", "--amqp-uri", TestBroker.uri().toString());

        assertThat(result.out()).containsPattern("(?m)^loop +(ok|NO)").containsPattern("(?m)^broker +ok");
    }

    @Test
    void doctor_says_why_the_broker_is_unreachable_without_showing_the_password() {
        Run result = run("doctor", "--amqp-uri", "amqp://user:topsecret@127.0.0.1:1/%2f");

        assertThat(result.status()).isEqualTo(1);
        assertThat(result.out())
                .contains("broker   NO   cannot connect to amqp://user:***@127.0.0.1:1")
                .doesNotContain("topsecret");
    }

    @Test
    void no_image_root_is_trusted_unless_the_operator_says_so_by_flag_environment_or_config_file() throws Exception {
        WorkerCommand unset = new WorkerCommand();
        new CommandLine(unset).parseArgs("--image-root", "/srv");
        WorkerCommand flags = new WorkerCommand();
        new CommandLine(flags)
                .parseArgs(
                        "--image-root",
                        "/srv",
                        "--trusted-image-root",
                        "/srv/ops",
                        "--trusted-image-root",
                        "/srv/base,/srv/more");
        Path file = Files.writeString(
                directory.resolve("trust.properties"),
                "image-root = /srv\ntrusted-image-root = /srv/file\nfuse-user = fusey\n");
        WorkerCommand fromFile = new WorkerCommand();
        new CommandLine(fromFile).parseArgs("--config", file.toString());

        assertThat(unset.config(SettingSources.load(null, Map.of())).trustedImageRoots())
                .isEmpty();
        assertThat(unset.config(SettingSources.load(null, Map.of())).fuseUser()).isEqualTo("imginject-fuse");
        assertThat(flags.config(SettingSources.load(null, Map.of())).trustedImageRoots())
                .containsExactly(Path.of("/srv/ops"), Path.of("/srv/base"), Path.of("/srv/more"));
        assertThat(unset.config(SettingSources.load(null, Map.of("IMGINJECT_TRUSTED_IMAGE_ROOT", "/srv/env")))
                        .trustedImageRoots())
                .containsExactly(Path.of("/srv/env"));
        assertThat(fromFile.config(SettingSources.load(file, Map.of())).trustedImageRoots())
                .containsExactly(Path.of("/srv/file"));
        assertThat(fromFile.config(SettingSources.load(file, Map.of())).fuseUser())
                .isEqualTo("fusey");
    }

    @Test
    void doctor_prints_the_trust_policy_and_what_loop_and_nbd_do_under_it() {
        Run result = run("doctor", "--amqp-uri", TestBroker.uri().toString(), "--trusted-image-root", "/srv/ops");

        assertThat(result.out())
                .containsPattern(
                        "(?m)^policy +the host kernel may mount images under /srv/ops; every other image is untrusted")
                .containsPattern("(?m)^fuse2fs +(ok|NO)")
                .containsPattern("(?m)^loop +(ok .*trusted: the host kernel mounts; untrusted: |NO)");
    }

    @Test
    void the_http_server_listens_on_localhost_9464_by_default_and_http_port_0_turns_it_off() {
        WorkerConfig defaults =
                new WorkerCommand().config(SettingSources.load(null, Map.of("IMGINJECT_IMAGE_ROOT", "/srv")));
        WorkerCommand command = new WorkerCommand();
        new CommandLine(command).parseArgs("--http-port", "0");

        WorkerConfig off = command.config(
                SettingSources.load(null, Map.of("IMGINJECT_IMAGE_ROOT", "/srv", "IMGINJECT_HTTP_BIND", "0.0.0.0")));

        assertThat(defaults.httpPort()).isEqualTo(9464);
        assertThat(defaults.httpBind()).isEqualTo("127.0.0.1");
        assertThat(off.httpPort()).isZero();
        assertThat(off.httpBind()).isEqualTo("0.0.0.0");
    }

    @Test
    @SuppressWarnings("CanonicalDuration") // in seconds, as the settings and the README give them
    void worker_settings_come_from_flags_then_environment_then_the_config_file() throws Exception {
        Path file = Files.writeString(
                directory.resolve("imginject.properties"),
                "host = from-file\nimage-root = /srv/a,/srv/b\nconcurrency = 7\nhandlers = loop\njob-timeout = 900\n");
        WorkerCommand command = new WorkerCommand();
        new CommandLine(command).parseArgs("--config", file.toString(), "--concurrency", "3");

        WorkerConfig config = command.config(SettingSources.load(file, Map.of("IMGINJECT_HOST", "from-env")));

        assertThat(config.host()).isEqualTo("from-env");
        assertThat(config.concurrency()).isEqualTo(3);
        assertThat(config.imageRoots()).containsExactly(Path.of("/srv/a"), Path.of("/srv/b"));
        assertThat(config.runDir()).isEqualTo(Path.of("/run/imginject"));
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.jobTimeout()).isEqualTo(Duration.ofSeconds(900));
        assertThat(new WorkerCommand()
                        .config(SettingSources.load(null, Map.of("IMGINJECT_IMAGE_ROOT", "/srv")))
                        .jobTimeout())
                .isEqualTo(Duration.ofSeconds(1800));
    }

    @Test
    void worker_serves_oslo_beside_or_instead_of_the_native_protocol() {
        WorkerCommand both = new WorkerCommand();
        new CommandLine(both).parseArgs("--image-root", "/srv", "--host", "h1", "--oslo");
        WorkerCommand osloOnly = new WorkerCommand();
        new CommandLine(osloOnly)
                .parseArgs(
                        "--image-root",
                        "/srv",
                        "--oslo",
                        "--no-native",
                        "--oslo-exchange",
                        "openstack",
                        "--oslo-server",
                        "compute-7",
                        "--oslo-quorum",
                        "--oslo-version",
                        "6.0");

        WorkerConfig bothConfig = both.config(SettingSources.load(null, Map.of()));
        WorkerConfig osloOnlyConfig = osloOnly.config(SettingSources.load(null, Map.of()));

        assertThat(bothConfig.nativeDoor()).isTrue();
        assertThat(bothConfig.oslo())
                .hasValue(new OsloSettings(
                        "nova", "imginject_rpc", "h1", false, false, false, Duration.ofMinutes(30), "1.0", false));
        assertThat(osloOnlyConfig.nativeDoor()).isFalse();
        assertThat(osloOnlyConfig.oslo()).hasValueSatisfying(oslo -> {
            assertThat(oslo.exchange()).isEqualTo("openstack");
            assertThat(oslo.server()).isEqualTo("compute-7");
            assertThat(oslo.quorum()).isTrue();
            assertThat(oslo.endpointVersion()).isEqualTo("6.0");
        });
    }

    @Test
    void worker_takes_nova_computes_topic_only_when_told_no_nova_compute_runs_on_the_host() {
        WorkerCommand refused = new WorkerCommand();
        new CommandLine(refused).parseArgs("--image-root", "/srv", "--oslo", "--oslo-topic", "compute");
        WorkerCommand told = new WorkerCommand();
        new CommandLine(told)
                .parseArgs("--image-root", "/srv", "--oslo", "--oslo-topic", "compute", "--oslo-no-nova-compute");

        assertThatThrownBy(() -> refused.config(SettingSources.load(null, Map.of())))
                .hasMessageContaining("nova-compute")
                .hasMessageContaining("oslo-no-nova-compute=true");
        assertThat(told.config(SettingSources.load(null, Map.of())).oslo())
                .hasValueSatisfying(oslo -> assertThat(oslo.topic()).isEqualTo("compute"));
    }

    @Test
    void worker_takes_its_request_limits_from_flags_or_defaults() {
        WorkerCommand set = new WorkerCommand();
        new CommandLine(set)
                .parseArgs(
                        "--image-root",
                        "/srv",
                        "--max-request-bytes",
                        "1000",
                        "--max-files",
                        "3",
                        "--max-file-bytes-total",
                        "500");

        assertThat(set.config(SettingSources.load(null, Map.of())).limits()).isEqualTo(new RequestLimits(1000, 3, 500));
        WorkerCommand unset = new WorkerCommand();
        new CommandLine(unset).parseArgs("--image-root", "/srv");
        assertThat(unset.config(SettingSources.load(null, Map.of())).limits())
                .isEqualTo(new RequestLimits(8 * 1024 * 1024, 100, 4 * 1024 * 1024));
    }

    @Test
    void worker_names_a_missing_image_root_and_an_unknown_handler() {
        WorkerCommand command = new WorkerCommand();
        new CommandLine(command).parseArgs("--handlers", "loop,floppy", "--image-root", "/srv");

        assertThatThrownBy(() -> command.config(SettingSources.load(null, Map.of())))
                .hasMessageContaining("unknown handler \"floppy\"");
        assertThatThrownBy(() -> new WorkerCommand().config(SettingSources.load(null, Map.of())))
                .hasMessageContaining("no image root");
    }
}
