package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.oslo.OsloSettings;
import io.imginject.worker.testing.Distributions;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
        return runWith(System.getenv(), args);
    }

    /** Runs {@code imginject args...} as {@code main} does, in the environment {@code environment}. */
    static Run runWith(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), environment, args);
        return new Run(status, out.toString(), err.toString());
    }

    /** {@code imginject worker args...} parsed with its settings from {@code environment} and {@code file}. */
    static WorkerCommand worker(Map<String, String> environment, Path file, String... args) {
        CommandLine commandLine = new CommandLine(new WorkerCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setDefaultValueProvider(SettingSources.load(file, environment));
        commandLine.parseArgs(args);
        return commandLine.getCommand();
    }

    /** {@code imginject submit} of {@code image} to {@code worker}'s host, with {@code options}. */
    static Run submitTo(WorkerFixture worker, TestImages.Built image, String... options) {
        List<String> args = new ArrayList<>(List.of(
                "submit",
                "--amqp-uri",
                TestBroker.uri().toString(),
                "--host",
                worker.host(),
                "--image",
                image.path().toString()));
        args.addAll(List.of(options));
        return run(args.toArray(String[]::new));
    }

    @Test
    void submit_builds_a_request_from_flags_and_prints_the_reply() throws Exception {
        HostRequirements.root();
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(), "cli.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            Path motd = Files.writeString(directory.resolve("motd"), "from the cli\n");
            Path password = Files.writeString(directory.resolve("pw"), "secret\n");

            Run result = submitTo(
                    worker,
                    image,
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
    void submit_sends_network_hostname_users_and_a_nocloud_seed_from_flags_and_files() throws Exception {
        HostRequirements.root();
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(),
                    "cli-guest.img",
                    TestImages.Layout.GPT,
                    TestImages.Fs.EXT4,
                    Distributions.ubuntuNetplan());
            Path network = Files.writeString(directory.resolve("network_data.json"), """
                    {"links": [{"id": "tap1", "type": "ovs", "vif_id": "v1",
                                "ethernet_mac_address": "52:54:00:12:34:56", "mtu": 1450}],
                     "networks": [{"id": "network0", "link": "tap1", "type": "ipv4_dhcp", "network_id": "n1"}],
                     "services": [{"type": "dns", "address": "10.0.2.3"}]}
                    """);
            Path keys = Files.writeString(directory.resolve("alice.pub"), "# alice's laptop\n" + Requests.KEY + "\n");
            Path password = Files.writeString(directory.resolve("alice.pw"), "alice-secret\n");
            Path userData = Files.writeString(directory.resolve("user-data"), "#cloud-config\nruncmd: [[touch, /x]]\n");

            Run result = submitTo(
                    worker,
                    image,
                    "--network-file",
                    network.toString(),
                    "--network-flavour",
                    "networkd",
                    "--hostname",
                    "web1.example.com",
                    "--user",
                    "alice:" + keys + ":" + password,
                    "--nocloud-instance-id",
                    "i-cli",
                    "--nocloud-user-data-file",
                    userData.toString(),
                    "--mandatory",
                    "network,hostname,users,nocloud");

            assertThat(result.status()).as(result.out() + result.err()).isZero();
            assertThat(result.out())
                    .contains("networkd (named in the request); wrote /etc/systemd/network/50-imginject-tap1.network")
                    .contains("host name web1.example.com: wrote /etc/hostname, /etc/hosts")
                    .contains("alice: 1 of 1 keys added to /home/alice/.ssh/authorized_keys (1000:1000), password set")
                    .contains("NoCloud seed for instance i-cli: wrote")
                    .doesNotContain("alice-secret", "runcmd");
            try (ImageReader guest = ImageReader.open(image)) {
                assertThat(guest.read("/etc/systemd/network/50-imginject-tap1.network"))
                        .contains("MACAddress=52:54:00:12:34:56")
                        .contains("DHCP=ipv4");
                assertThat(guest.read("/etc/hostname")).isEqualTo("web1.example.com\n");
                assertThat(guest.read("/home/alice/.ssh/authorized_keys")).isEqualTo(Requests.KEY + "\n");
                assertThat(guest.read("/etc/shadow")).containsPattern("(?m)^alice:\\$6\\$");
                assertThat(guest.read("/var/lib/cloud/seed/nocloud/meta-data"))
                        .isEqualTo("instance-id: i-cli\nlocal-hostname: web1.example.com\n");
                assertThat(guest.read("/var/lib/cloud/seed/nocloud/user-data"))
                        .isEqualTo("#cloud-config\nruncmd: [[touch, /x]]\n");
                assertThat(guest.read("/var/lib/cloud/seed/nocloud/network-config"))
                        .contains("macaddress: \"52:54:00:12:34:56\"");
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
    void submit_takes_its_broker_and_host_from_the_config_file_or_the_uri_from_a_file_it_names() throws Exception {
        HostRequirements.root();
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            Path uriFile = Files.writeString(directory.resolve("amqp-uri"), TestBroker.uri() + "\n");
            Path withUri = Files.writeString(
                    directory.resolve("uri.properties"),
                    "amqp-uri = " + TestBroker.uri() + "\nhost = " + worker.host() + "\n");
            Path withUriFile = Files.writeString(
                    directory.resolve("uri-file.properties"),
                    "amqp-uri-file = " + uriFile + "\nhost = " + worker.host() + "\n");

            for (Path config : List.of(withUri, withUriFile)) {
                Run result = runWith(
                        Map.of(),
                        "submit",
                        "--config",
                        config.toString(),
                        "--image",
                        worker.images().resolve("missing.img").toString(),
                        "--metadata",
                        "a=b");

                assertThat(result.status()).as(result.err()).isEqualTo(1);
                assertThat(result.out()).contains("image_not_found").contains("\"host\" : \"" + worker.host());
            }
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
    void submit_refuses_bad_guest_item_flags_before_sending_anything() throws Exception {
        Path notJson = Files.writeString(directory.resolve("bad.json"), "{\"links\": [");
        Path badLink = Files.writeString(
                directory.resolve("bad-link.json"),
                "{\"links\": [{\"id\": \"tap1\", \"ethernet_mac_address\": \"zz\"}]}");
        Path notAKey = Files.writeString(directory.resolve("junk.pub"), "ssh-ed25519 AAAA\n");

        Run unparsable = run("submit", "--host", "h", "--image", "/x.img", "--network-file", notJson.toString());
        Run badMac = run("submit", "--host", "h", "--image", "/x.img", "--network-file", badLink.toString());
        Run flavourAlone =
                run("submit", "--host", "h", "--image", "/x.img", "--hostname", "a", "--network-flavour", "netplan");
        Run badHostname = run("submit", "--host", "h", "--image", "/x.img", "--hostname", "web_1");
        Run userWithoutFiles = run("submit", "--host", "h", "--image", "/x.img", "--user", "alice");
        Run userWithJunkKey = run("submit", "--host", "h", "--image", "/x.img", "--user", "alice:" + notAKey);
        Run userDataAlone =
                run("submit", "--host", "h", "--image", "/x.img", "--nocloud-user-data-file", notAKey.toString());

        assertThat(List.of(
                        unparsable,
                        badMac,
                        flavourAlone,
                        badHostname,
                        userWithoutFiles,
                        userWithJunkKey,
                        userDataAlone))
                .extracting(Run::status)
                .containsOnly(2);
        assertThat(unparsable.err()).contains(notJson + " is not valid JSON");
        assertThat(badMac.err()).contains("$.inject.network.links[0].ethernet_mac_address");
        assertThat(flavourAlone.err()).contains("--network-flavour needs --network-file");
        assertThat(badHostname.err()).contains("$.inject.hostname");
        assertThat(userWithoutFiles.err()).contains("--user takes NAME:KEYFILE[:PASSWORD_FILE]");
        assertThat(userWithJunkKey.err()).contains(notAKey + " line 1 ");
        assertThat(userDataAlone.err()).contains("--nocloud-user-data-file needs --nocloud-instance-id");
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
        WorkerCommand unset = worker(Map.of(), null, "--image-root", "/srv");
        WorkerCommand flags = worker(
                Map.of(),
                null,
                "--image-root",
                "/srv",
                "--trusted-image-root",
                "/srv/ops",
                "--trusted-image-root",
                "/srv/base,/srv/more");
        Path file = Files.writeString(
                directory.resolve("trust.properties"),
                "image-root = /srv\ntrusted-image-root = /srv/file\nfuse-user = fusey\n");
        WorkerCommand fromFile = worker(Map.of(), file, "--config", file.toString());
        WorkerCommand fromEnvironment =
                worker(Map.of("IMGINJECT_TRUSTED_IMAGE_ROOT", "/srv/env, /srv/env2"), null, "--image-root", "/srv");

        assertThat(unset.config().trustedImageRoots()).isEmpty();
        assertThat(unset.config().fuseUser()).isEqualTo("imginject-fuse");
        assertThat(flags.config().trustedImageRoots())
                .containsExactly(Path.of("/srv/ops"), Path.of("/srv/base"), Path.of("/srv/more"));
        assertThat(fromEnvironment.config().trustedImageRoots())
                .containsExactly(Path.of("/srv/env"), Path.of("/srv/env2"));
        assertThat(fromFile.config().trustedImageRoots()).containsExactly(Path.of("/srv/file"));
        assertThat(fromFile.config().fuseUser()).isEqualTo("fusey");
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
                worker(Map.of("IMGINJECT_IMAGE_ROOT", "/srv"), null).config();

        WorkerConfig off = worker(
                        Map.of("IMGINJECT_IMAGE_ROOT", "/srv", "IMGINJECT_HTTP_BIND", "0.0.0.0"),
                        null,
                        "--http-port",
                        "0")
                .config();

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
        WorkerConfig config = worker(
                        Map.of("IMGINJECT_HOST", "from-env"), file, "--config", file.toString(), "--concurrency", "3")
                .config();

        assertThat(config.host()).isEqualTo("from-env");
        assertThat(config.concurrency()).isEqualTo(3);
        assertThat(config.imageRoots()).containsExactly(Path.of("/srv/a"), Path.of("/srv/b"));
        assertThat(config.runDir()).isEqualTo(Path.of("/run/imginject"));
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.jobTimeout()).isEqualTo(Duration.ofSeconds(900));
        assertThat(worker(Map.of("IMGINJECT_IMAGE_ROOT", "/srv"), null).config().jobTimeout())
                .isEqualTo(Duration.ofSeconds(1500));
    }

    @Test
    void worker_serves_oslo_beside_or_instead_of_the_native_protocol() {
        WorkerCommand both = worker(Map.of(), null, "--image-root", "/srv", "--host", "h1", "--oslo");
        WorkerCommand osloOnly = worker(
                Map.of(),
                null,
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

        WorkerConfig bothConfig = both.config();
        WorkerConfig osloOnlyConfig = osloOnly.config();

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
    void worker_declares_its_queues_unless_told_no_declare_and_takes_the_brokers_consumer_timeout() {
        WorkerConfig defaultConfig =
                worker(Map.of(), null, "--image-root", "/srv", "--host", "h1").config();
        WorkerConfig operatorConfig = worker(
                        Map.of(),
                        null,
                        "--image-root",
                        "/srv",
                        "--host",
                        "h1",
                        "--no-declare",
                        "--broker-consumer-timeout",
                        "3600")
                .config();
        WorkerCommand withOslo =
                worker(Map.of(), null, "--image-root", "/srv", "--host", "h1", "--no-declare", "--oslo");

        assertThat(defaultConfig.declare()).isTrue();
        assertThat(defaultConfig.brokerConsumerTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(operatorConfig.declare()).isFalse();
        assertThat(operatorConfig.brokerConsumerTimeout()).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(withOslo::config).hasMessageStartingWith("no-declare is for the native door only");
    }

    @Test
    void worker_takes_nova_computes_topic_only_when_told_no_nova_compute_runs_on_the_host() {
        WorkerCommand refused = worker(Map.of(), null, "--image-root", "/srv", "--oslo", "--oslo-topic", "compute");
        WorkerCommand told = worker(
                Map.of(), null, "--image-root", "/srv", "--oslo", "--oslo-topic", "compute", "--oslo-no-nova-compute");

        assertThatThrownBy(() -> refused.config())
                .hasMessageContaining("nova-compute")
                .hasMessageContaining("oslo-no-nova-compute=true");
        assertThat(told.config().oslo())
                .hasValueSatisfying(oslo -> assertThat(oslo.topic()).isEqualTo("compute"));
    }

    @Test
    void worker_takes_its_request_limits_from_flags_or_defaults() {
        WorkerCommand set = worker(
                Map.of(),
                null,
                "--image-root",
                "/srv",
                "--max-request-bytes",
                "1000",
                "--max-files",
                "3",
                "--max-file-bytes-total",
                "500");

        assertThat(set.config().limits()).isEqualTo(new RequestLimits(1000, 3, 500));
        WorkerCommand unset = worker(Map.of(), null, "--image-root", "/srv");
        assertThat(unset.config().limits()).isEqualTo(new RequestLimits(8 * 1024 * 1024, 100, 4 * 1024 * 1024));
    }

    @Test
    void worker_names_a_missing_image_root_and_an_unknown_handler() {
        WorkerCommand command = worker(Map.of(), null, "--handlers", "loop,floppy", "--image-root", "/srv");

        assertThatThrownBy(() -> command.config()).hasMessageContaining("unknown handler \"floppy\"");
        assertThatThrownBy(() -> worker(Map.of(), null).config()).hasMessageContaining("no image root");
    }
}
