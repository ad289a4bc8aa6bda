package io.imginject.worker.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A worker's HTTP server as a probe or Prometheus sees it: {@code /metrics}, {@code /healthz}, {@code /readyz}. */
public final class StatusEndpoints {
    /** The status of a request the server did not answer (nothing listens yet, or any more). */
    public static final int NO_ANSWER = 0;

    private final int port;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public StatusEndpoints(int port) {
        this.port = port;
    }

    /** A port free on 127.0.0.1 now, for a worker's {@code http-port}. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The response to GET {@code path}, or null when the server did not answer. */
    public HttpResponse<String> get(String path) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        }
    }

    /** The status GET {@code path} answers with, {@link #NO_ANSWER} when the server did not answer. */
    public int status(String path) throws InterruptedException {
        HttpResponse<String> response = get(path);
        return response == null ? NO_ANSWER : response.statusCode();
    }
}
