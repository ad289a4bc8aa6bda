package io.imginject.worker.testing;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testcontainers.containers.RabbitMQContainer;

/**
 * The real broker tests talk to: the URI in {@code IMGINJECT_TEST_AMQP_URI} when set; else a Testcontainers
 * RabbitMQ where a Docker engine runs; else the broker at 127.0.0.1:5672 that {@code deploy/setup-host} starts.
 */
public final class TestBroker {
    private static final String LOCAL = "amqp://guest:guest@127.0.0.1:5672/%2f";
    private static URI uri;

    private TestBroker() {}

    public static synchronized URI uri() {
        if (uri == null) {
            uri = URI.create(choose());
        }
        return uri;
    }

    public static Connection connect(String name) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri());
        try {
            return factory.newConnection(name);
        } catch (IOException e) {
            HostRequirements.need(
                    false, "no RabbitMQ at " + uri() + " (" + e.getMessage() + "); run deploy/setup-host");
            throw e;
        }
    }

    private static String choose() {
        String configured = System.getenv("IMGINJECT_TEST_AMQP_URI");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        if (dockerLikely()) {
            RabbitMQContainer container = new RabbitMQContainer("rabbitmq:3.13");
            container.start();
            return container
                            .getAmqpUrl()
                            .replace(
                                    "amqp://",
                                    "amqp://" + container.getAdminUsername() + ":" + container.getAdminPassword() + "@")
                    + "/%2f";
        }
        return LOCAL;
    }

    /** Asks Testcontainers only when a Docker socket or DOCKER_HOST exists, so machines without one stay quiet. */
    private static boolean dockerLikely() {
        if (System.getenv("DOCKER_HOST") == null && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return false;
        }
        return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    }
}
