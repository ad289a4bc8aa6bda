package io.imginject.worker.status;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.imginject.worker.metrics.PrometheusMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's HTTP server (the JDK's own): {@code /metrics}, the Prometheus exposition; {@code /healthz}, 200
 * while the process serves at all; {@code /readyz}, 200 while the worker takes work, else 503 with what keeps it
 * from it. GET and HEAD only; one thread, since a probe or a scrape is small.
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusServer.class);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService thread;

    private StatusServer(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    /**
     * Listens on {@code address} and serves until closed.
     *
     * @throws StatusServerException when it cannot listen there (the port is taken, the address is not this host's)
     */
    public static StatusServer start(InetSocketAddress address, PrometheusMetrics metrics, Readiness readiness)
            throws StatusServerException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new StatusServerException(
                    "cannot serve /metrics, /healthz and /readyz on " + address.getHostString() + ":"
                            + address.getPort() + " (" + e.getMessage() + "); set http-bind and http-port to an"
                            + " address and a free port of this host, or http-port to 0 for no HTTP server",
                    e);
        }
        ExecutorService thread = Executors.newSingleThreadExecutor(runnable -> {
            Thread t = new Thread(runnable, "status-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.createContext("/", exchange -> serve(exchange, metrics, readiness));
        server.start();
        log.info("serving /metrics, /healthz and /readyz on http://{}:{}", address.getHostString(), port(server));
        return new StatusServer(server, thread);
    }

    /** The port it listens on. */
    public int port() {
        return port(server);
    }

    private static int port(HttpServer server) {
        return server.getAddress().getPort();
    }

    private static void serve(HttpExchange exchange, PrometheusMetrics metrics, Readiness readiness)
            throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, TEXT, "only GET and HEAD\n");
                return;
            }
            switch (exchange.getRequestURI().getPath()) {
                case "/metrics" -> respond(exchange, 200, PrometheusMetrics.CONTENT_TYPE, metrics.scrape());
                case "/healthz" -> respond(exchange, 200, TEXT, "alive\n");
                case "/readyz" -> {
                    List<String> problems = readiness.problems();
                    if (problems.isEmpty()) {
                        respond(exchange, 200, TEXT, "ready\n");
                    } else {
                        respond(exchange, 503, TEXT, "not ready: " + String.join("; ", problems) + "\n");
                    }
                }
                default -> respond(exchange, 404, TEXT, "not found; try /metrics, /healthz or /readyz\n");
            }
        } catch (RuntimeException e) {
            log.warn("could not answer {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Stops listening at once; a request being answered is cut off. */
    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
