package io.imginject.worker.testing;

import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;

/**
 * A RabbitMQ node of its own beside the machine's {@code rabbit@localhost}: its own name, AMQP and distribution
 * ports, config file, and data and log directories under {@code directory} (readable by the rabbitmq user), so
 * stopping it and deleting the directory leaves nothing. It shares the machine's Erlang cookie, so it can join
 * {@code rabbit@localhost}'s cluster.
 */
public final class ExtraRabbitNode {
    private static final ProcessRunner RUNNER = new ProcessRunner(Duration.ofMinutes(2));

    private final String name;
    private final Map<String, String> environment;

    private ExtraRabbitNode(String name, Map<String, String> environment) {
        this.name = name;
        this.environment = environment;
    }

    /**
     * A node {@code name@localhost} with AMQP on {@code amqpPort}, distribution on {@code distPort} (never 25672,
     * the machine's node's) and {@code config} as its rabbitmq.conf; not started yet.
     */
    public static ExtraRabbitNode define(String name, int amqpPort, int distPort, String config, Path directory)
            throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path configFile = Files.writeString(directory.resolve(name + ".conf"), config);
        Path plugins = Files.writeString(directory.resolve(name + ".plugins"), "");
        for (Path file : List.of(configFile, plugins)) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        Path data = Files.createDirectories(directory.resolve("mnesia"));
        Path logs = Files.createDirectories(directory.resolve("log"));
        Commands.run("chown", "rabbitmq:rabbitmq", data.toString(), logs.toString());
        return new ExtraRabbitNode(
                name + "@localhost",
                Map.of(
                        "HOME", "/var/lib/rabbitmq",
                        "RABBITMQ_NODENAME", name + "@localhost",
                        "RABBITMQ_NODE_PORT", Integer.toString(amqpPort),
                        "RABBITMQ_DIST_PORT", Integer.toString(distPort),
                        "RABBITMQ_CONFIG_FILE", configFile.toString(),
                        "RABBITMQ_ENABLED_PLUGINS_FILE", plugins.toString(),
                        "RABBITMQ_MNESIA_BASE", data.toString(),
                        "RABBITMQ_LOG_BASE", logs.toString()));
    }

    public String name() {
        return name;
    }

    /** Starts the node's Erlang VM detached and waits until RabbitMQ runs on it. */
    public void start() {
        run(List.of("rabbitmq-server", "-detached"));
        Awaitility.await(name + " started")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> ctl("await_startup") != null);
    }

    /** SIGKILL to the node's Erlang VM: the node dies at once, as in a crash. */
    public void killVm() {
        String pid = ctl("eval", "os:getpid().").strip().replace("\"", "");
        Commands.run("kill", "-9", pid);
        Awaitility.await(name + " dead").atMost(Duration.ofSeconds(30)).until(() -> !running());
    }

    /** Stops RabbitMQ and the node's Erlang VM cleanly. */
    public void stop() {
        ctl("stop");
    }

    /** {@code rabbitmqctl -n NODE args...}; returns its output. */
    public String ctl(String... args) {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl", "-q", "-n", name));
        command.addAll(List.of(args));
        return run(command);
    }

    /** Whether the node answers at all. */
    public boolean running() {
        try {
            ctl("ping");
            return true;
        } catch (CommandFailedException e) {
            return false;
        }
    }

    private String run(List<String> command) {
        List<String> withEnvironment = new ArrayList<>(List.of("env"));
        environment.forEach((key, value) -> withEnvironment.add(key + "=" + value));
        withEnvironment.addAll(command);
        return RUNNER.run(withEnvironment).stdout();
    }
}
