package io.imginject.worker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Connection;
import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.BrokerConnectException;
import io.imginject.protocol.BrokerConnector;
import io.imginject.protocol.BrokerTls;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.ExtraRabbitNode;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connecting through a list of nodes whose first is down, and over TLS to a RabbitMQ node of its own with a TLS
 * listener and a test CA made with openssl: the right CA and host name are accepted (with a client certificate the
 * node requires), a wrong CA and a wrong host name are refused, each with a message saying which check failed.
 */
class BrokerConnectionTest {
    private static final int TLS_PORT = 5676;
    private static Path directory;
    private static ExtraRabbitNode tlsNode;

    @BeforeAll
    static void startTlsNode() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("openssl", "rabbitmq-server", "rabbitmqctl");
        HostRequirements.need(
                TestBroker.uri().getHost().equals("127.0.0.1"), "the TLS node runs beside the local broker");
        directory = Files.createTempDirectory("imginject-tls-");
        makeCertificates(directory);
        tlsNode = ExtraRabbitNode.define(
                "imginject-tls",
                5677,
                25685,
                String.join(
                        "\n",
                        "listeners.tcp = none",
                        "listeners.ssl.default = " + TLS_PORT,
                        "ssl_options.cacertfile = " + directory.resolve("ca.pem"),
                        "ssl_options.certfile = " + directory.resolve("server.pem"),
                        "ssl_options.keyfile = " + directory.resolve("server.key"),
                        "ssl_options.verify = verify_peer",
                        "ssl_options.fail_if_no_peer_cert = true",
                        ""),
                directory.resolve("node"));
        tlsNode.start();
    }

    @AfterAll
    static void stopTlsNode() {
        if (tlsNode != null && tlsNode.running()) {
            tlsNode.stop();
        }
        if (directory != null) {
            Commands.run("rm", "-rf", directory.toString());
        }
    }

    @Test
    void the_first_node_that_answers_is_taken_when_the_first_is_down() throws Exception {
        BrokerAddresses addresses = BrokerAddresses.parse("amqp://guest:guest@127.0.0.1:1/%2f," + TestBroker.uri());
        try (Connection connection = new BrokerConnector(addresses, BrokerTls.DEFAULT).connect("first-node-down")) {
            assertThat(connection.getPort()).isEqualTo(TestBroker.uri().getPort());
            connection.createChannel().exchangeDeclarePassive("amq.direct");
        }
    }

    @Test
    void no_node_answering_names_every_node_and_no_password() {
        BrokerAddresses addresses =
                BrokerAddresses.parse("amqp://guest:s3cret@127.0.0.1:1/%2f,amqp://guest:s3cret@127.0.0.1:2/%2f");
        assertThatThrownBy(() -> new BrokerConnector(addresses, BrokerTls.DEFAULT).connect("no-node"))
                .isInstanceOf(BrokerConnectException.class)
                .hasMessageContaining("127.0.0.1:1")
                .hasMessageContaining("127.0.0.1:2")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void tls_with_the_test_ca_and_the_host_name_in_the_certificate_is_accepted() throws Exception {
        try (Connection connection = connector("localhost", "ca.pem").connect("tls-accepted")) {
            connection.createChannel().exchangeDeclarePassive("amq.direct");
        }
    }

    @Test
    void tls_with_a_wrong_ca_is_refused() {
        assertThatThrownBy(() -> connector("localhost", "other-ca.pem").connect("tls-wrong-ca"))
                .isInstanceOf(BrokerConnectException.class)
                .hasMessageContaining("TLS verification failed: the broker's certificate is not trusted by the CA file")
                .hasMessageContaining("other-ca.pem");
    }

    @Test
    void tls_with_a_host_name_the_certificate_does_not_name_is_refused() {
        assertThatThrownBy(() -> connector("127.0.0.1", "ca.pem").connect("tls-wrong-host"))
                .isInstanceOf(BrokerConnectException.class)
                .hasMessageContaining(
                        "TLS verification failed: the broker's certificate is not issued for the host name connected to")
                .hasMessageContaining("127.0.0.1");
    }

    private static BrokerConnector connector(String host, String caFile) {
        return new BrokerConnector(
                BrokerAddresses.parse("amqps://guest:guest@" + host + ":" + TLS_PORT + "/%2f"),
                new BrokerTls(
                        Optional.of(directory.resolve(caFile)),
                        Optional.of(directory.resolve("client.pem")),
                        Optional.of(directory.resolve("client.key")),
                        true));
    }

    /** A CA, a server certificate for localhost, a client certificate, both signed by it, and another CA. */
    private static void makeCertificates(Path dir) {
        for (String ca : new String[] {"ca", "other-ca"}) {
            openssl(
                    dir,
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=imginject test " + ca,
                    "-keyout",
                    ca + ".key",
                    "-out",
                    ca + ".pem");
        }
        for (String leaf : new String[] {"server", "client"}) {
            openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", leaf + ".key");
            openssl(
                    dir,
                    "req",
                    "-new",
                    "-key",
                    leaf + ".key",
                    "-subj",
                    "/CN=" + (leaf.equals("server") ? "localhost" : "imginject-client"),
                    "-out",
                    leaf + ".csr");
        }
        Commands.run("sh", "-c", "printf 'subjectAltName=DNS:localhost\\n' > " + dir.resolve("server.ext"));
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.pem");
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                "client.pem");
        Commands.run("chmod", "-R", "a+rX", dir.toString());
        Commands.run("chown", "rabbitmq", dir.resolve("server.key").toString());
        Commands.run("chmod", "600", dir.resolve("server.key").toString());
    }

    private static void openssl(Path dir, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "openssl";
        System.arraycopy(args, 0, command, 1, args.length);
        Commands.run(
                "sh",
                "-c",
                "cd " + dir + " && "
                        + String.join(
                                " ",
                                Arrays.stream(command).map(a -> "'" + a + "'").toList()));
    }
}
