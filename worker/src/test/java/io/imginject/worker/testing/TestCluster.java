package io.imginject.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.worker.host.CommandFailedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The machine's {@code rabbit@localhost} and two {@link ExtraRabbitNode}s joined to it (AMQP 5673 and 5674,
 * distribution 25682 and 25683). {@link #close} takes the extra nodes out of every quorum queue and the cluster
 * ({@code shrink}, {@code stop_app}, {@code reset}, {@code stop}) and checks that {@code rabbit@localhost} is alone
 * again, as it was.
 */
public final class TestCluster implements AutoCloseable {
    public static final String MACHINE_NODE = "rabbit@localhost";

    private final List<ExtraRabbitNode> extra;

    private TestCluster(List<ExtraRabbitNode> extra) {
        this.extra = extra;
    }

    /** Starts two extra nodes in {@code directory} (opened to the rabbitmq user) and joins them to the machine's node. */
    public static TestCluster start(Path directory) throws Exception {
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<ExtraRabbitNode> nodes = new ArrayList<>();
        TestCluster cluster = new TestCluster(nodes);
        try {
            for (int n = 2; n <= 3; n++) {
                ExtraRabbitNode node =
                        ExtraRabbitNode.define("imginject-n" + n, 5671 + n, 25680 + n, "", directory.resolve("n" + n));
                nodes.add(node);
                node.start();
                node.ctl("stop_app");
                node.ctl("join_cluster", MACHINE_NODE);
                node.ctl("start_app");
                node.ctl("await_startup");
            }
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** The extra nodes, {@code imginject-n2@localhost} on 5673 first, then {@code imginject-n3@localhost} on 5674. */
    public List<ExtraRabbitNode> extraNodes() {
        return List.copyOf(extra);
    }

    /** The node leading quorum queue {@code queue}, as the machine's node sees it. */
    public static String leaderOf(String queue) {
        for (String line : Commands.run("rabbitmqctl", "-q", "--no-table-headers", "list_queues", "name", "leader")
                .lines()
                .toList()) {
            String[] fields = line.strip().split("\\s+", -1);
            if (fields.length == 2 && fields[0].equals(queue)) {
                return fields[1];
            }
        }
        throw new AssertionError("no queue " + queue + " on the broker");
    }

    @Override
    public void close() {
        List<ExtraRabbitNode> reversed = new ArrayList<>(extra);
        Collections.reverse(reversed);
        RuntimeException failure = null;
        for (ExtraRabbitNode node : reversed) {
            try {
                if (!node.running()) {
                    node.start();
                }
                shrink(node);
                node.ctl("stop_app");
                node.ctl("reset");
                node.ctl("stop");
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        String status = Commands.run("rabbitmqctl", "-q", "cluster_status", "--formatter", "json");
        assertThat(status)
                .as("the machine's node is alone again")
                .contains("\"disk_nodes\":[\"" + MACHINE_NODE + "\"]");
        if (failure != null) {
            throw failure;
        }
    }

    /** Takes the node out of every quorum queue; a queue it cannot leave (its only member) is left to the reset. */
    private static void shrink(ExtraRabbitNode node) {
        try {
            Commands.run("rabbitmq-queues", "-q", "shrink", node.name());
        } catch (CommandFailedException e) {
            System.err.println("rabbitmq-queues shrink " + node.name() + " left some queues: " + e.getMessage());
        }
    }
}
