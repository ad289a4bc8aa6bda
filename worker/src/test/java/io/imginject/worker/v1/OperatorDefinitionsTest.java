package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Wire;
import io.imginject.worker.Worker;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.broker.QueueArgumentsException;
import io.imginject.worker.dlq.DeadLetterQueue;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.ShippedDefinitions;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker the operator owns: loaded from {@code deploy/rabbitmq/definitions.json} and {@code host-definitions},
 * its workers and schedulers connecting as the shipped least-privilege users, its workers declaring nothing. Each
 * test has a vhost of its own on the test broker, deleted afterwards with the users the definitions made.
 */
@ExtendWith(NoHostLeaks.class)
class OperatorDefinitionsTest {
    static final String WORKER_USER = "imginject-worker";
    static final String SCHEDULER_USER = "imginject-scheduler";
    /** What a quorum queue without a delivery limit of its own gets since RabbitMQ 4.0. */
    static final int RABBITMQ_4_DEFAULT_DELIVERY_LIMIT = 20;

    @TempDir
    Path directory;

    final String vhost = "imginject-test-" + UUID.randomUUID().toString().substring(0, 8);
    final String host = "operator-" + UUID.randomUUID().toString().substring(0, 8);
    boolean usersImported;

    @BeforeEach
    void aVhostOfItsOwn() throws Exception {
        // rabbitmqctl reads the definitions as the broker's user, which may pass through but not list
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        HostRequirements.need(
                TestBroker.uri().getHost().equals("127.0.0.1"),
                "the definitions are imported with the local rabbitmqctl");
        Commands.run("rabbitmqctl", "-q", "add_vhost", vhost);
        Commands.run("rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
    }

    @AfterEach
    void deleteWhatTheTestMade() {
        Commands.run("rabbitmqctl", "-q", "delete_vhost", vhost);
        if (usersImported) {
            Commands.run("rabbitmqctl", "-q", "delete_user", WORKER_USER);
            Commands.run("rabbitmqctl", "-q", "delete_user", SCHEDULER_USER);
        }
    }

    @Test
    @SuppressWarnings("try") // the worker only has to run for the block
    void a_no_declare_worker_and_a_scheduler_with_the_shipped_users_run_a_job_end_to_end() throws Exception {
        importDefinitions();
        importHost();
        String workerPassword = newPassword(WORKER_USER);
        String schedulerPassword = newPassword(SCHEDULER_USER);
        TestImages.Built image = TestImages.build(
                Files.createDirectories(directory.resolve("images")),
                "operator.img",
                Layout.WHOLE_DISK,
                Fs.EXT4,
                GuestTree.linuxRoot());

        try (Worker worker = Worker.start(
                        workerConfig(WORKER_USER, workerPassword).declare(false).build());
                Connection scheduler = connect(SCHEDULER_USER, schedulerPassword);
                InjectionClient client = InjectionClient.open(scheduler)) {
            InjectionReply reply = client.call(
                    host,
                    InjectionRequest.of(
                            ImageRef.of(image.path().toString()),
                            Injections.none().withNet("auto lo\n")),
                    Duration.ofMinutes(2));

            assertThat(reply.status()).as(reply.toString()).isEqualTo(InjectionReply.Status.OK);
            assertThat(reply.host()).isEqualTo(host);
            assertThat(reply.items().get("net").message()).contains("/etc/network/interfaces");
        }
    }

    @Test
    void the_shipped_worker_user_may_not_configure_anything() throws Exception {
        importDefinitions();
        String password = newPassword(WORKER_USER);

        try (Connection worker = connect(WORKER_USER, password)) {
            Channel channel = worker.createChannel();
            assertThatThrownBy(() -> channel.queueDeclare(Wire.queue(host), true, false, false, Map.of()))
                    .hasStackTraceContaining("ACCESS_REFUSED");
        }
    }

    @Test
    void a_no_declare_worker_names_the_missing_host_queue_and_what_to_import() throws Exception {
        importDefinitions();

        assertThatThrownBy(() -> Worker.start(
                                workerConfig("guest", "guest").declare(false).build())
                        .close())
                .isInstanceOf(MissingBrokerObjectException.class)
                .hasMessageStartingWith("the queue " + Wire.unansweredQueue(host)
                        + " is not on the broker, and with no-declare this worker declares nothing")
                .hasMessageContaining("deploy/rabbitmq/host-definitions " + host);
    }

    @Test
    void a_declaring_worker_on_a_broker_without_the_policies_does_not_start() {
        assertThatThrownBy(() ->
                        Worker.start(workerConfig("guest", "guest").build()).close())
                .isInstanceOf(DeadLetteringMissingException.class)
                .hasMessageStartingWith("the broker does not dead-letter from the host queues")
                .hasMessageContaining(
                        "The policy imginject-host-queues of deploy/rabbitmq/definitions.json is missing");
    }

    @Test
    void a_host_queue_an_earlier_version_declared_with_dead_letter_arguments_is_named_with_what_to_do()
            throws Exception {
        importDefinitions();
        try (Connection guest = connect("guest", "guest")) {
            guest.createChannel()
                    .queueDeclare(
                            Wire.unansweredQueue(host),
                            true,
                            false,
                            false,
                            Map.of(
                                    "x-queue-type",
                                    "quorum",
                                    "x-dead-letter-exchange",
                                    Wire.DEAD_LETTER_EXCHANGE,
                                    "x-delivery-limit",
                                    10));
        }

        assertThatThrownBy(() ->
                        Worker.start(workerConfig("guest", "guest").build()).close())
                .isInstanceOf(QueueArgumentsException.class)
                .hasMessageStartingWith("queue " + Wire.unansweredQueue(host) + " exists with other arguments")
                .hasMessageContaining("rabbitmqctl delete_queue " + Wire.unansweredQueue(host) + " --if-empty");
    }

    @Test
    void dead_letters_browsed_more_often_than_rabbitmq_4s_default_delivery_limit_stay_in_imginject_dead()
            throws Exception {
        importDefinitions();
        try (Connection operator = connect("guest", "guest")) {
            Channel channel = operator.createChannel();
            channel.basicPublish(
                    Wire.DEAD_LETTER_EXCHANGE,
                    Wire.routingKey(host),
                    new AMQP.BasicProperties.Builder().messageId("browsed").build(),
                    "a letter".getBytes(StandardCharsets.UTF_8));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> channel.messageCount(Wire.DEAD_LETTER_QUEUE) == 1);
            DeadLetterQueue deadLetters = new DeadLetterQueue(operator);

            for (int browse = 0; browse < RABBITMQ_4_DEFAULT_DELIVERY_LIMIT + 5; browse++) {
                // a browse puts the letter back as its channel closes, which the broker finishes a moment later
                Awaitility.await("the letter, back for browse " + browse)
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> deadLetters.browse(letter -> true, 10).size() == 1);
            }
            assertThat(Commands.run("rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "policy"))
                    .contains(Wire.DEAD_LETTER_QUEUE + "\timginject-dead-letters");
        }
    }

    private WorkerConfig.Builder workerConfig(String user, String password) throws Exception {
        return WorkerFixture.config(uri(user, password), host, directory, List.of(HandlerName.LOOP))
                .quorumGroupSize(1);
    }

    private void importDefinitions() throws Exception {
        usersImported = true;
        Commands.run(
                "rabbitmqctl",
                "-q",
                "import_definitions",
                ShippedDefinitions.forVhost(vhost, directory).toString());
        // the import runs on in the broker after rabbitmqctl returns
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> Commands.run("rabbitmqctl", "-q", "list_policies", "-p", vhost)
                                .contains("imginject-dead-letters")
                        && Commands.run("rabbitmqctl", "-q", "list_permissions", "-p", vhost)
                                .contains(SCHEDULER_USER));
    }

    private void importHost() throws Exception {
        Commands.run(
                "rabbitmqctl",
                "-q",
                "import_definitions",
                ShippedDefinitions.hostDefinitions(host, vhost, directory).toString());
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> Commands.run("rabbitmqctl", "-q", "list_bindings", "-p", vhost)
                        .contains(Wire.unansweredQueue(host) + "\tqueue\t" + Wire.queue(host)));
    }

    /** Sets the user's password, as the README tells an operator to: the shipped hashes are of no known password. */
    private static String newPassword(String user) {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        String password = HexFormat.of().formatHex(bytes);
        Commands.run("rabbitmqctl", "-q", "change_password", user, password);
        return password;
    }

    private String uri(String user, String password) {
        return "amqp://" + user + ":" + password + "@127.0.0.1:"
                + TestBroker.uri().getPort() + "/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8);
    }

    private Connection connect(String user, String password) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri(user, password));
        return factory.newConnection("operator-definitions-test");
    }
}
