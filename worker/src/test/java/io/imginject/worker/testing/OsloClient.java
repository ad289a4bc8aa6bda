package io.imginject.worker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real oslo.messaging {@code RPCClient} (Debian's python3-oslo.messaging, run by {@code /usr/bin/python3}) driven
 * through {@code rpc_client.py}: one call or cast per process, its outcome as JSON.
 */
public final class OsloClient {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final JsonMapper JSON = new JsonMapper();

    private final String url;
    private final String exchange;
    private final String topic;
    private final String server;

    public OsloClient(String url, String exchange, String topic, String server) {
        this.url = url;
        this.exchange = exchange;
        this.topic = topic;
        this.server = server;
    }

    /** Skips (or under IMGINJECT_REQUIRE_ALL fails) where Debian's python3 with oslo.messaging is missing. */
    public static void require() throws Exception {
        Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import oslo_messaging").start();
        HostRequirements.need(
                probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "Debian's python3-oslo.messaging is needed (run deploy/setup-host)");
    }

    /** A request for {@code method} with {@code args}; adjust it with the returned node's setters. */
    public ObjectNode request(String method, ObjectNode args) {
        ObjectNode request = JSON.createObjectNode();
        request.put("url", url);
        request.put("exchange", exchange);
        request.put("topic", topic);
        request.put("server", server);
        request.put("method", method);
        request.set("args", args);
        request.put("timeout", 120);
        return request;
    }

    /** Runs the client; returns {@code {"result": ...}}, {@code {"cast": "sent"}} or {@code {"error": {...}}}. */
    public JsonNode run(ObjectNode request) throws IOException, InterruptedException {
        Path script = Path.of(
                URI.create(OsloClient.class.getResource("/oslo/rpc_client.py").toString()));
        Process process = new ProcessBuilder(PYTHON.toString(), script.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        process.getOutputStream().write(JSON.writeValueAsBytes(request));
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(request.path("timeout").asInt(120) + 60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the oslo client did not finish");
        }
        return JSON.readTree(new String(out, StandardCharsets.UTF_8));
    }

    /** An empty object to fill with arguments. */
    public static ObjectNode args() {
        return JSON.createObjectNode();
    }
}
