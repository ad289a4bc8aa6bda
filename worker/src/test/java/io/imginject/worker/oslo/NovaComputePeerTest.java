package io.imginject.worker.oslo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.Wire;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.OsloClient;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestDeadLetterKey;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Python oslo.messaging {@code RPCClient}, as nova uses to call nova-compute, calls the Java worker over
 * the real broker, on the worker's own topic. The exchange is named per test run so runs do not meet; everything
 * else is the worker's default.
 */
@ExtendWith(NoHostLeaks.class)
class NovaComputePeerTest {
    static final JsonMapper JSON = new JsonMapper();
    static final String EXCHANGE = "nova-test-" + UUID.randomUUID().toString().substring(0, 8);
    static final String SERVER = "compute-host-1";
    static final String TOPIC = OsloSettings.DEFAULT_TOPIC;

    @TempDir
    static Path directory;

    static WorkerFixture worker;
    static OsloClient nova;

    @BeforeAll
    static void startWorker() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "qemu-nbd", "nbdfuse");
        OsloClient.require();
        OsloSettings oslo =
                new OsloSettings(EXCHANGE, TOPIC, SERVER, false, false, false, Duration.ofMinutes(30), "1.0", false);
        worker = WorkerFixture.start(
                directory,
                List.of(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS),
                config -> config.concurrency(2).oslo(oslo),
                UnaryOperator.identity());
        String amqp = TestBroker.uri().toString();
        nova = new OsloClient(
                amqp.replaceFirst("^amqp://", "rabbit://").replaceFirst("/%2[fF]$", "/"), EXCHANGE, TOPIC, SERVER);
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (worker != null) {
            worker.close();
            try (Connection connection = TestBroker.connect("cleanup");
                    Channel channel = connection.createChannel()) {
                channel.queueDelete(TOPIC);
                channel.queueDelete(TOPIC + "." + SERVER);
                channel.exchangeDelete(EXCHANGE);
            }
        }
    }

    static TestImages.Built image(String name) throws Exception {
        return TestImages.build(worker.images(), name, Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
    }

    /** inject_data's arguments as nova passes them. */
    static ObjectNode injectArgs(Path image, String format) {
        ObjectNode args = OsloClient.args();
        args.putObject("image").put("path", image.toString()).put("format", format);
        args.put("key", Requests.KEY);
        args.put("net", "auto eth0\niface eth0 inet dhcp\n");
        args.putObject("metadata").put("role", "web");
        args.putNull("admin_password");
        args.putArray("files").addArray().add("/etc/motd").add("injected by nova\n");
        args.put("partition", -1);
        args.putArray("mandatory").add("files");
        return args;
    }

    static ObjectNode call(String method, ObjectNode args, String version) {
        ObjectNode request = nova.request(method, args);
        request.put("version", version);
        return request;
    }

    @Test
    void inject_data_returns_the_native_result_and_the_key_is_in_the_image() throws Exception {
        TestImages.Built image = image("ok.img");

        JsonNode outcome = nova.run(call("inject_data", injectArgs(image.path(), "raw"), "1.0"));

        JsonNode result = outcome.get("result");
        assertThat(result).as("%s", outcome).isNotNull();
        assertThat(result.get("status").asText()).isEqualTo("ok");
        assertThat(result.get("handler").asText()).isEqualTo("loop");
        assertThat(result.get("host").asText()).isEqualTo(worker.host());
        assertThat(result.at("/items/key/message").asText()).isEqualTo("key added to /root/.ssh/authorized_keys");
        assertThat(result.at("/items/files/status").asText()).isEqualTo("ok");
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/root/.ssh/authorized_keys")).isEqualTo(Requests.KEY + "\n");
            assertThat(guest.read("/etc/motd")).isEqualTo("injected by nova\n");
            assertThat(guest.read("/meta.js")).isEqualTo("{\"role\":\"web\"}");
        }
    }

    @Test
    void a_failing_inject_data_raises_a_remote_error_with_the_class_and_message() throws Exception {
        JsonNode outcome =
                nova.run(call("inject_data", injectArgs(worker.images().resolve("missing.img"), "raw"), "1.0"));

        JsonNode error = outcome.get("error");
        assertThat(error.get("type").asText()).isEqualTo("RemoteError");
        assertThat(error.get("exc_type").asText()).isEqualTo("ImageNotFound");
        assertThat(error.get("value").asText())
                .startsWith(
                        "image_not_found: no image exists at " + worker.images().resolve("missing.img"));
    }

    @Test
    void arguments_nova_would_never_send_are_named_in_the_remote_error() throws Exception {
        ObjectNode args = injectArgs(image("bad-args.img").path(), "raw");
        args.putArray("files").addArray().add("/etc/../etc/motd").add("x");
        args.put("colour", "red");

        JsonNode error = nova.run(call("inject_data", args, "1.0")).get("error");

        assertThat(error.get("exc_type").asText()).isEqualTo("InvalidRequest");
        assertThat(error.get("value").asText())
                .contains("colour: inject_data takes no argument colour")
                .contains("files[0][0]:");
    }

    @Test
    void a_cast_gets_no_reply_and_is_still_done() throws Exception {
        TestImages.Built image = image("cast.img");
        ObjectNode request = call("inject_data", injectArgs(image.path(), "raw"), "1.0");
        request.put("cast", true);

        assertThat(nova.run(request).get("cast").asText()).isEqualTo("sent");

        ImageReader.awaitFile(image, "/etc/motd");
    }

    @Test
    void a_fanout_cast_reaches_the_worker_too() throws Exception {
        TestImages.Built image = image("fanout.img");
        ObjectNode request = call("inject_data", injectArgs(image.path(), "raw"), "1.0");
        request.put("cast", true);
        request.put("fanout", true);
        request.remove("server");

        assertThat(nova.run(request).get("cast").asText()).isEqualTo("sent");

        ImageReader.awaitFile(image, "/meta.js");
    }

    @Test
    void an_unknown_method_is_no_such_method() throws Exception {
        JsonNode error =
                nova.run(call("reboot_instance", OsloClient.args(), "1.0")).get("error");

        assertThat(error.get("exc_type").asText()).isEqualTo("NoSuchMethod");
        assertThat(error.get("value").asText()).isEqualTo("Endpoint does not support RPC method reboot_instance");
    }

    @Test
    void a_private_method_is_no_such_method_too() throws Exception {
        JsonNode error = nova.run(call("_secret", OsloClient.args(), "1.0")).get("error");

        assertThat(error.get("exc_type").asText()).isEqualTo("NoSuchMethod");
    }

    @Test
    void a_newer_version_than_the_endpoint_is_unsupported() throws Exception {
        JsonNode error = nova.run(call("inject_data", OsloClient.args(), "1.1")).get("error");

        assertThat(error.get("exc_type").asText()).isEqualTo("UnsupportedVersion");
        assertThat(error.get("value").asText())
                .isEqualTo("Endpoint does not support RPC version 1.1. Attempted method: inject_data");
    }

    @Test
    void ping_in_the_baseapi_namespace_answers_like_nova() throws Exception {
        ObjectNode args = OsloClient.args();
        args.put("arg", "hello");
        ObjectNode request = call("ping", args, "1.1");
        request.put("namespace", "baseapi");

        assertThat(nova.run(request).get("result"))
                .isEqualTo(JSON.readTree("{\"service\":\"" + TOPIC + "\",\"arg\":\"hello\"}"));
    }

    @Test
    void a_slow_call_under_a_call_monitor_timeout_is_kept_alive_by_heartbeats() throws Exception {
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
        TestImages.Built image = TestImages.toQcow2(image("slow.img"));
        ObjectNode args = injectArgs(image.path(), "qcow2");
        args.putArray("handlers").add("guestfs");
        ObjectNode request = call("inject_data", args, "1.0");
        request.put("call_monitor_timeout", 4);

        long started = System.nanoTime();
        JsonNode outcome = nova.run(request);

        assertThat(outcome.path("result").path("handler").asText())
                .as("%s", outcome)
                .isEqualTo("guestfs");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("the call outlived its 4 s call monitor")
                .isGreaterThan(Duration.ofSeconds(6));
    }

    @Test
    void a_repeated_unique_id_runs_once_and_a_finished_call_gets_its_reply_again() throws Exception {
        TestImages.Built image = image("dup.img");
        try (Connection connection = TestBroker.connect("dup");
                Channel channel = connection.createChannel()) {
            String replies = channel.queueDeclare().getQueue();
            ObjectNode inner = JSON.createObjectNode();
            inner.put("method", "inject_data");
            inner.set("args", injectArgs(image.path(), "raw"));
            inner.put("version", "1.0");
            inner.put("_msg_id", "m1");
            inner.put("_reply_q", replies);
            inner.putNull("_timeout");
            inner.put("_unique_id", "u-" + UUID.randomUUID());
            byte[] body = JSON.writeValueAsBytes(
                    Map.of("oslo.version", "2.0", "oslo.message", JSON.writeValueAsString(inner)));
            AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                    .contentType("application/json")
                    .contentEncoding("utf-8")
                    .build();

            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, properties, body);
            JsonNode first = nextReply(channel, replies);
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, properties, body);
            JsonNode second = nextReply(channel, replies);

            assertThat(first.get("_msg_id").asText()).isEqualTo("m1");
            assertThat(first.get("ending").asBoolean()).isTrue();
            assertThat(second.get("result")).isEqualTo(first.get("result"));
            assertThat(second.get("_unique_id"))
                    .as("the very same reply, not a second run")
                    .isEqualTo(first.get("_unique_id"));
        }
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/root/.ssh/authorized_keys").lines()).containsExactly(Requests.KEY);
        }
    }

    @Test
    void a_message_that_is_not_oslo_is_dead_lettered_and_the_worker_goes_on() throws Exception {
        try (Connection connection = TestBroker.connect("junk");
                Channel channel = connection.createChannel()) {
            String catcher = channel.queueDeclare().getQueue();
            channel.queueBind(catcher, Wire.DEAD_LETTER_EXCHANGE, TOPIC + "." + SERVER);
            AMQP.BasicProperties forged = new AMQP.BasicProperties.Builder()
                    .headers(Map.of("x-original-exchange", "amq.direct", "x-original-routing-key", "elsewhere"))
                    .build();
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, forged, "not json".getBytes(StandardCharsets.UTF_8));

            GetResponse dead = null;
            for (int i = 0; i < 600 && dead == null; i++) {
                dead = channel.basicGet(catcher, true);
                Thread.sleep(50);
            }
            assertThat(dead).as("a dead letter").isNotNull();
            assertThat(dead.getProps()
                            .getHeaders()
                            .get("x-imginject-error-code")
                            .toString())
                    .isEqualTo("malformed_message");
            assertThat(dead.getProps().getHeaders().get("x-original-exchange").toString())
                    .as("the worker's, not the forged one")
                    .isEqualTo(EXCHANGE);
            assertThat(dead.getProps()
                            .getHeaders()
                            .get("x-original-routing-key")
                            .toString())
                    .isEqualTo(TOPIC + "." + SERVER);
            assertThat(dead.getProps().getHeaders().get("x-imginject-sealed").toString())
                    .isEqualTo("v1");
            assertThat(TestDeadLetterKey.open(dead.getProps(), dead.getBody()))
                    .isEqualTo("not json".getBytes(StandardCharsets.UTF_8));
        }
        ObjectNode args = OsloClient.args();
        args.put("arg", 1);
        ObjectNode ping = call("ping", args, "1.0");
        ping.put("namespace", "baseapi");
        assertThat(nova.run(ping).get("result").get("arg").asInt()).isEqualTo(1);
    }

    @Test
    @SuppressWarnings("try") // the worker only has to run for the block
    void a_worker_with_the_default_settings_leaves_nova_computes_own_queues_to_it() throws Exception {
        String host = "nova-host-" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection connection = TestBroker.connect("nova-compute");
                Channel novaCompute = connection.createChannel()) {
            novaCompute.exchangeDeclare("nova", "topic", false, false, null);
            novaCompute.queueDeclare("compute." + host, false, false, false, null);
            novaCompute.queueBind("compute." + host, "nova", "compute." + host);
            ObjectNode cast = JSON.createObjectNode();
            cast.put("method", "reboot_instance");
            cast.putObject("args");
            cast.put("version", "5.0");
            cast.put("_unique_id", UUID.randomUUID().toString());
            novaCompute.basicPublish("nova", "compute." + host, null, envelope(cast));
            try (WorkerFixture peer = WorkerFixture.start(
                    directory.resolve("peer"),
                    List.of(HandlerName.LOOP),
                    config -> config.nativeDoor(false).oslo(defaults(host)),
                    UnaryOperator.identity())) {
                Thread.sleep(2000);

                assertThat(novaCompute.consumerCount("compute." + host))
                        .as("the worker consumes nova-compute's queue")
                        .isZero();
                assertThat(novaCompute.messageCount("compute." + host))
                        .as("nova-compute's cast is still there for it")
                        .isEqualTo(1);
            } finally {
                novaCompute.queueDelete("compute." + host);
                novaCompute.queueDelete(TOPIC + "." + host);
                novaCompute.exchangeDelete("nova");
            }
        }
    }

    /** oslo.messaging's defaults, with nova's exchange and imginject's own topic, serving {@code server}. */
    static OsloSettings defaults(String server) {
        return new OsloSettings(
                "nova", OsloSettings.DEFAULT_TOPIC, server, false, false, false, Duration.ofMinutes(30), "1.0", false);
    }

    @Test
    void a_worker_refuses_nova_computes_topic_unless_told_no_nova_compute_shares_the_host() throws Exception {
        String exchange = EXCHANGE + "-compute";
        String server = "h-" + UUID.randomUUID().toString().substring(0, 8);

        assertThatThrownBy(() -> new OsloSettings(
                        exchange, "compute", server, false, false, false, Duration.ofMinutes(30), "1.0", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nova-compute")
                .hasMessageContaining("oslo-no-nova-compute");
        OsloSettings told =
                new OsloSettings(exchange, "compute", server, false, false, false, Duration.ofMinutes(30), "1.0", true);
        try (WorkerFixture alone = WorkerFixture.start(
                directory.resolve("alone"),
                List.of(HandlerName.LOOP),
                config -> config.nativeDoor(false).oslo(told),
                UnaryOperator.identity())) {
            assertThat(alone.consumerCount("compute." + server)).isEqualTo(1);
        } finally {
            try (Connection connection = TestBroker.connect("cleanup");
                    Channel channel = connection.createChannel()) {
                channel.queueDelete("compute");
                channel.queueDelete("compute." + server);
                channel.exchangeDelete(exchange);
            }
        }
    }

    @Test
    void a_body_that_is_not_json_is_dead_lettered_without_quoting_it_and_wrong_values_are_not_quoted()
            throws Exception {
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captured =
                new ch.qos.logback.core.read.ListAppender<>();
        captured.start();
        root.addAppender(captured);
        List<String> answers = new java.util.ArrayList<>();
        try (Connection connection = TestBroker.connect("secrets");
                Channel channel = connection.createChannel()) {
            String catcher = deadLetterCatcher(channel);
            byte[] body = JSON.writeValueAsBytes(Map.of(
                    "oslo.version",
                    "2.0",
                    "oslo.message",
                    "{\"method\": \"inject_data\", \"args\": {\"admin_password\": Hunter2NotJson}}"));
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, null, body);
            answers.add(nextDeadLetter(channel, catcher)
                    .getProps()
                    .getHeaders()
                    .get("x-imginject-error-message")
                    .toString());

            ObjectNode args = injectArgs(worker.images().resolve("secret.img"), "raw");
            args.put("admin_password", 27182818284L);
            args.put("partition", "PartitionSecret");
            answers.add(nova.run(call("inject_data", args, "1.0")).toString());
        } finally {
            root.detachAppender(captured);
        }
        captured.list.forEach(event -> answers.add(event.getFormattedMessage()));

        assertThat(answers)
                .isNotEmpty()
                .allSatisfy(answer -> assertThat(answer)
                        .doesNotContain("Hunter2NotJson")
                        .doesNotContain("27182818284")
                        .doesNotContain("PartitionSecret"));
    }

    @Test
    void arguments_with_thousands_of_problems_get_the_first_fifty_and_how_many_there_are() throws Exception {
        ObjectNode args = injectArgs(image("many-args.img").path(), "raw");
        for (int i = 0; i < 5000; i++) {
            args.put("unknown_" + i, i);
        }

        JsonNode error = nova.run(call("inject_data", args, "1.0")).get("error");

        assertThat(error.get("exc_type").asText()).isEqualTo("InvalidRequest");
        assertThat(error.get("value").asText()).contains("5000 problems");
        assertThat(error.get("value").asText().split("takes no argument", -1).length - 1)
                .isLessThanOrEqualTo(50);
        assertThat(error.toString().length()).isLessThan(32 * 1024);
    }

    @Test
    void a_call_over_the_size_limit_is_refused_as_too_large() throws Exception {
        try (Connection connection = TestBroker.connect("huge");
                Channel channel = connection.createChannel()) {
            String replies = channel.queueDeclare().getQueue();
            ObjectNode args = injectArgs(worker.images().resolve("huge.img"), "raw");
            args.put("net", "#".repeat(9 * 1024 * 1024));
            channel.basicPublish(
                    EXCHANGE,
                    TOPIC + "." + SERVER,
                    null,
                    envelope(callMessage(args, replies, "u-" + UUID.randomUUID())));

            JsonNode failure =
                    JSON.readTree(nextReply(channel, replies).get("failure").asText());

            assertThat(failure.get("class").asText()).isEqualTo("RequestTooLarge");
            assertThat(failure.get("message").asText()).contains("max-request-bytes");
        }
    }

    @Test
    void a_call_sent_again_after_it_failed_runs_again_rather_than_getting_the_old_failure() throws Exception {
        Path path = worker.images().resolve("later.img");
        try (Connection connection = TestBroker.connect("later");
                Channel channel = connection.createChannel()) {
            String replies = channel.queueDeclare().getQueue();
            byte[] body = envelope(callMessage(injectArgs(path, "raw"), replies, "u-" + UUID.randomUUID()));

            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, null, body);
            JsonNode first = nextReply(channel, replies);
            TestImages.build(worker.images(), "later.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, null, body);
            JsonNode second = nextReply(channel, replies);

            assertThat(first.get("failure").asText()).contains("ImageNotFound");
            assertThat(second.get("failure").isNull()).as("%s", second).isTrue();
            assertThat(second.at("/result/status").asText()).isEqualTo("ok");
        }
    }

    @Test
    void a_call_whose_reply_queue_no_queue_can_have_is_dead_lettered_not_requeued() throws Exception {
        try (Connection connection = TestBroker.connect("long-reply-q");
                Channel channel = connection.createChannel()) {
            String catcher = deadLetterCatcher(channel);
            ObjectNode ping = callMessage(OsloClient.args(), "q".repeat(300), "u-" + UUID.randomUUID());
            ping.put("method", "ping");
            ping.put("namespace", "baseapi");
            ping.put("version", "1.1");
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, null, envelope(ping));

            GetResponse dead = nextDeadLetter(channel, catcher);

            assertThat(dead.getProps()
                            .getHeaders()
                            .get("x-imginject-error-code")
                            .toString())
                    .isEqualTo("malformed_message");
            Thread.sleep(2000);
            assertThat(channel.messageCount(catcher))
                    .as("dead-lettered once, not requeued and run again")
                    .isZero();
        }
    }

    @Test
    void a_failed_cast_whose_dead_letter_copy_would_not_fit_in_a_frame_is_still_dead_lettered_and_not_requeued()
            throws Exception {
        try (Connection connection = TestBroker.connect("fat-headers");
                Channel channel = connection.createChannel()) {
            String catcher = deadLetterCatcher(channel);
            ObjectNode cast = JSON.createObjectNode();
            cast.put("method", "no_such_method");
            cast.putObject("args");
            cast.put("_unique_id", "u-" + UUID.randomUUID());
            AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                    .messageId("fat-cast")
                    .headers(Map.of("x-padding", "p".repeat(130_900)))
                    .build();
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, properties, envelope(cast));

            GetResponse dead = nextDeadLetter(channel, catcher);

            assertThat(dead.getProps().getMessageId()).isEqualTo("fat-cast");
            assertThat(dead.getProps().getHeaders()).doesNotContainKey("x-padding");
            assertThat(dead.getProps()
                            .getHeaders()
                            .get("x-imginject-error-message")
                            .toString())
                    .contains("NoSuchMethod")
                    .contains("headers");
            Thread.sleep(2000);
            assertThat(channel.messageCount(catcher))
                    .as("dead-lettered once, not requeued and run again")
                    .isZero();
        }
    }

    @Test
    void a_call_whose_reply_queue_refuses_every_reply_is_dead_lettered_and_acked_not_requeued_for_ever()
            throws Exception {
        try (Connection connection = TestBroker.connect("full-reply-q");
                Channel channel = connection.createChannel()) {
            String catcher = deadLetterCatcher(channel);
            String full = channel.queueDeclare(
                            "", false, true, true, Map.of("x-max-length", 0, "x-overflow", "reject-publish"))
                    .getQueue();
            ObjectNode ping = callMessage(OsloClient.args().put("arg", 1), full, "u-" + UUID.randomUUID());
            ping.put("method", "ping");
            ping.put("namespace", "baseapi");
            ping.put("version", "1.1");
            channel.basicPublish(EXCHANGE, TOPIC + "." + SERVER, null, envelope(ping));

            GetResponse dead = nextDeadLetter(channel, catcher, Duration.ofMinutes(3));

            assertThat(dead.getProps()
                            .getHeaders()
                            .get("x-imginject-error-code")
                            .toString())
                    .isEqualTo("reply_refused");
            assertThat(dead.getProps()
                            .getHeaders()
                            .get("x-imginject-error-message")
                            .toString())
                    .contains("ended ok");
            Thread.sleep(2000);
            assertThat(channel.messageCount(TOPIC + "." + SERVER))
                    .as("the call is not requeued")
                    .isZero();
            assertThat(channel.messageCount(catcher)).isZero();
        }
    }

    static byte[] envelope(ObjectNode inner) throws Exception {
        return JSON.writeValueAsBytes(Map.of("oslo.version", "2.0", "oslo.message", JSON.writeValueAsString(inner)));
    }

    static ObjectNode callMessage(ObjectNode args, String replyQueue, String uniqueId) {
        ObjectNode inner = JSON.createObjectNode();
        inner.put("method", "inject_data");
        inner.set("args", args);
        inner.put("version", "1.0");
        inner.put("_msg_id", "m-" + UUID.randomUUID());
        inner.put("_reply_q", replyQueue);
        inner.putNull("_timeout");
        inner.put("_unique_id", uniqueId);
        return inner;
    }

    static String deadLetterCatcher(Channel channel) throws Exception {
        String catcher = channel.queueDeclare().getQueue();
        channel.queueBind(catcher, Wire.DEAD_LETTER_EXCHANGE, TOPIC + "." + SERVER);
        return catcher;
    }

    static GetResponse nextDeadLetter(Channel channel, String catcher) throws Exception {
        return nextDeadLetter(channel, catcher, Duration.ofSeconds(30));
    }

    static GetResponse nextDeadLetter(Channel channel, String catcher, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse dead = channel.basicGet(catcher, true);
            if (dead != null) {
                return dead;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("nothing was dead-lettered within " + wait);
    }

    static JsonNode nextReply(Channel channel, String queue) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse response = channel.basicGet(queue, true);
            if (response != null) {
                assertThat(response.getProps().getContentType()).isEqualTo("application/json");
                JsonNode outer = JSON.readTree(response.getBody());
                return JSON.readTree(outer.get("oslo.message").asText());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no oslo reply within 60 s");
    }
}
