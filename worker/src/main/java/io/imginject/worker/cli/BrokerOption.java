package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import picocli.CommandLine.Option;

/** The broker the client commands (submit, doctor, dlq) talk to: --amqp-uri, else IMGINJECT_AMQP_URI, else local. */
final class BrokerOption {
    @Option(names = "--amqp-uri", paramLabel = "URI", description = "Broker URI (default " + WorkerCommand.DEFAULT_AMQP_URI_IN_HELP
            + ", or IMGINJECT_AMQP_URI).")
    String amqpUri;

    String uri() {
        return amqpUri != null ? amqpUri : System.getenv().getOrDefault("IMGINJECT_AMQP_URI", WorkerCommand.DEFAULT_AMQP_URI);
    }

    /** The URI with its password masked, for messages. */
    String redactedUri() {
        return uri().replaceAll("//([^:/@]*):[^@]*@", "//$1:***@");
    }

    Connection connect(String name) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setConnectionTimeout(5000);
        factory.setUri(uri());
        return factory.newConnection(name);
    }
}
