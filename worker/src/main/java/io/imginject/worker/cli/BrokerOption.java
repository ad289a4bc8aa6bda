package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.BrokerConnector;
import io.imginject.protocol.BrokerTls;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The broker the client commands (submit, doctor, dlq, bench) talk to: each setting from its flag, else
 * {@code IMGINJECT_<KEY>}, else the default (the local broker; TLS verified against the JVM's trusted CAs).
 */
final class BrokerOption {
    @Option(
            names = "--amqp-uri",
            paramLabel = "URI",
            description =
                    "Broker URI (default " + WorkerCommand.DEFAULT_AMQP_URI_IN_HELP
                            + ", or IMGINJECT_AMQP_URI); a cluster's nodes as several URIs separated by commas, tried in order.")
    String amqpUri;

    @Option(
            names = "--amqp-tls-ca-file",
            paramLabel = "FILE",
            description = "PEM CA certificates an amqps broker's certificate is verified against"
                    + " (default the JVM's trusted CAs, or IMGINJECT_AMQP_TLS_CA_FILE).")
    Path caFile;

    @Option(
            names = "--amqp-tls-cert-file",
            paramLabel = "FILE",
            description = "PEM client certificate for amqps (or IMGINJECT_AMQP_TLS_CERT_FILE).")
    Path certFile;

    @Option(
            names = "--amqp-tls-key-file",
            paramLabel = "FILE",
            description = "Its PKCS#8 PEM private key (or IMGINJECT_AMQP_TLS_KEY_FILE).")
    Path keyFile;

    @Option(
            names = "--amqp-tls-verify-hostname",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description =
                    "Require the broker's certificate to name the host in the URI (default true, or IMGINJECT_AMQP_TLS_VERIFY_HOSTNAME).")
    Boolean verifyHostname;

    private final Map<String, String> environment = System.getenv();

    BrokerAddresses addresses() {
        return BrokerAddresses.parse(
                amqpUri != null
                        ? amqpUri
                        : environment.getOrDefault("IMGINJECT_AMQP_URI", WorkerCommand.DEFAULT_AMQP_URI));
    }

    /** The URIs with their passwords masked, for messages. */
    String redactedUri() {
        return addresses().toString();
    }

    BrokerTls tls() {
        return new BrokerTls(
                file(caFile, "IMGINJECT_AMQP_TLS_CA_FILE"),
                file(certFile, "IMGINJECT_AMQP_TLS_CERT_FILE"),
                file(keyFile, "IMGINJECT_AMQP_TLS_KEY_FILE"),
                verifyHostname != null
                        ? verifyHostname
                        : Boolean.parseBoolean(environment.getOrDefault("IMGINJECT_AMQP_TLS_VERIFY_HOSTNAME", "true")));
    }

    private Optional<Path> file(Path flag, String variable) {
        return flag != null
                ? Optional.of(flag)
                : Optional.ofNullable(environment.get(variable))
                        .filter(v -> !v.isBlank())
                        .map(Path::of);
    }

    Connection connect(String name) throws Exception {
        BrokerConnector connector = new BrokerConnector(addresses(), tls());
        var factory = connector.factory();
        factory.setConnectionTimeout(5000);
        return connector.connect(factory, name);
    }
}
