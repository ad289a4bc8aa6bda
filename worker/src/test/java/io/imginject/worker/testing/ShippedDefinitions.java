package io.imginject.worker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/** The broker definitions the project ships in {@code deploy/rabbitmq}, as an operator would load them. */
public final class ShippedDefinitions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShippedDefinitions() {}

    /** {@code deploy/rabbitmq/definitions.json} of this checkout. */
    public static Path file() {
        return deployDirectory().resolve("rabbitmq/definitions.json");
    }

    /** {@code deploy/rabbitmq/host-definitions}, which prints one host's queues and bindings. */
    public static Path hostScript() {
        return deployDirectory().resolve("rabbitmq/host-definitions");
    }

    /** {@code rabbitmqctl set_policy} arguments for each shipped policy, as deploy/setup-host sets them. */
    public static List<List<String>> setPolicyCommands() {
        List<List<String>> commands = new ArrayList<>();
        for (JsonNode policy : read().get("policies")) {
            commands.add(List.of(
                    "rabbitmqctl",
                    "set_policy",
                    "--priority",
                    policy.get("priority").asText(),
                    "--apply-to",
                    policy.get("apply-to").asText(),
                    policy.get("name").asText(),
                    policy.get("pattern").asText(),
                    policy.get("definition").toString()));
        }
        return commands;
    }

    /** The delivery limit the shipped policy gives the host queues. */
    public static int hostQueueDeliveryLimit() {
        for (JsonNode policy : read().get("policies")) {
            if (policy.get("name").asText().equals("imginject-host-queues")) {
                return policy.get("definition").get("delivery-limit").asInt();
            }
        }
        throw new IllegalStateException(file() + " has no policy imginject-host-queues");
    }

    /**
     * A copy of the definitions, in {@code directory}, with every object in {@code vhost} instead of {@code /}. The
     * file is readable by all: rabbitmqctl reads it as the broker's user.
     */
    public static Path forVhost(String vhost, Path directory) throws IOException {
        JsonNode definitions = read();
        for (JsonNode section : definitions) {
            if (section.isArray()) {
                for (JsonNode object : section) {
                    if (object.has("vhost")) {
                        ((ObjectNode) object).put("vhost", vhost);
                    }
                }
            }
        }
        ((ObjectNode) definitions.get("vhosts").get(0)).put("name", vhost);
        Path copy = directory.resolve("definitions-" + vhost + ".json");
        JSON.writeValue(copy.toFile(), definitions);
        return readableByAll(copy);
    }

    /** What {@code host-definitions host vhost} prints, in a file in {@code directory}, readable by all. */
    public static Path hostDefinitions(String host, String vhost, Path directory) throws IOException {
        Path file = directory.resolve("host-" + host + ".json");
        Files.writeString(file, Commands.run(hostScript().toString(), host, vhost), StandardCharsets.UTF_8);
        return readableByAll(file);
    }

    private static Path readableByAll(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    private static JsonNode read() {
        try {
            return JSON.readTree(file().toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path deployDirectory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/rabbitmq"))) {
                return dir.resolve("deploy");
            }
        }
        throw new IllegalStateException(
                "no deploy/rabbitmq above " + Path.of("").toAbsolutePath());
    }
}
