package io.imginject.worker.testing;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testcontainers.containers.Container;
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
            withShippedPolicies(container);
            return container
                            .getAmqpUrl()
                            .replace(
                                    "amqp://",
                                    "amqp://" + container.getAdminUsername() + ":" + container.getAdminPassword() + "@")
                    + "/%2f";
        }
        return LOCAL;
    }

    /** The policies deploy/setup-host sets on a local broker, which workers that declare their queues need. */
    private static void withShippedPolicies(RabbitMQContainer container) {
        for (List<String> command : ShippedDefinitions.setPolicyCommands()) {
            try {
                Container.ExecResult result = container.execInContainer(command.toArray(String[]::new));
                if (result.getExitCode() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + result.getStderr());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted setting the policies on the test broker", e);
            }
        }
    }

    /** Asks Testcontainers only when a Docker socket or DOCKER_HOST exists, so machines without one stay quiet. */
    private static boolean dockerLikely() {
        if (System.getenv("DOCKER_HOST") == null && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return false;
        }
        return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    }
}
