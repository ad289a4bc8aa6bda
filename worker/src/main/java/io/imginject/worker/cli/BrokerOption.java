package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.BrokerConnector;
import io.imginject.protocol.BrokerTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The broker every command talks to, and how: the worker and the client commands (submit, doctor, dlq, bench) take the
 * same settings, each from its flag, else {@code IMGINJECT_<KEY>}, else the config file, else its default (the local
 * broker; TLS verified against the JVM's trusted CAs). The URIs carry the credentials, so they may come from a file
 * ({@code amqp-uri-file}) rather than a flag, which shows in {@code ps}.
 */
final class BrokerOption {
    static final String DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/%2f";

    @Option(
            names = "--amqp-uri",
            defaultValue = DEFAULT_AMQP_URI,
            paramLabel = "URI",
            description =
                    "Broker URI (default ${DEFAULT-VALUE}); a cluster's nodes as several URIs separated by commas,"
                            + " tried in order. Its password shows in ps: prefer --amqp-uri-file or the environment.")
    String amqpUri;

    @Option(
            names = "--amqp-uri-file",
            paramLabel = "FILE",
            description = "File holding the broker URI (or the comma-separated URIs of a cluster's nodes), credentials"
                    + " included; instead of --amqp-uri.")
    Path amqpUriFile;

    @Option(
            names = "--amqp-tls-ca-file",
            paramLabel = "FILE",
            description = "PEM CA certificates an amqps broker's certificate is verified against"
                    + " (default the JVM's trusted CAs).")
    Path caFile;

    @Option(
            names = "--amqp-tls-cert-file",
            paramLabel = "FILE",
            description = "PEM client certificate (chain) for amqps, with --amqp-tls-key-file.")
    Path certFile;

    @Option(
            names = "--amqp-tls-key-file",
            paramLabel = "FILE",
            description = "The client certificate's private key: PEM, PKCS#8, unencrypted.")
    Path keyFile;

    @Option(
            names = "--amqp-tls-verify-hostname",
            defaultValue = "true",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "Require the broker's certificate to name the host in the URI (default ${DEFAULT-VALUE}).")
    boolean verifyHostname;

    /**
     * The broker's URIs: from {@code amqp-uri-file} when it is set, else {@code amqp-uri}. Both set (to something
     * other than the default) is refused, since one of them would be ignored.
     */
    BrokerAddresses addresses() {
        if (amqpUriFile == null) {
            return BrokerAddresses.parse(amqpUri);
        }
        if (!DEFAULT_AMQP_URI.equals(amqpUri)) {
            throw new IllegalArgumentException("amqp-uri and amqp-uri-file are both set; give one of them");
        }
        try {
            return BrokerAddresses.parse(
                    Files.readString(amqpUriFile, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read the broker URI file " + amqpUriFile + " (amqp-uri-file): " + e.getMessage(), e);
        }
    }

    /** The URIs with their passwords masked, for messages. */
    String redactedUri() {
        return addresses().toString();
    }

    BrokerTls tls() {
        return new BrokerTls(
                Optional.ofNullable(caFile),
                Optional.ofNullable(certFile),
                Optional.ofNullable(keyFile),
                verifyHostname);
    }

    Connection connect(String name) throws Exception {
        BrokerConnector connector = new BrokerConnector(addresses(), tls());
        var factory = connector.factory();
        factory.setConnectionTimeout(5000);
        return connector.connect(factory, name);
    }
}
