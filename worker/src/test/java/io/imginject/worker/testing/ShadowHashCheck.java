package io.imginject.worker.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether a SHA-512 crypt hash ({@code $6$salt$digest}, as in a guest's /etc/shadow) is of a given password,
 * computed by openssl, not by the worker's own hasher. The password goes to openssl on its standard input, never
 * on a command line, and neither it nor the hash is printed or logged.
 */
public final class ShadowHashCheck {
    private ShadowHashCheck() {}

    public static boolean isHashOf(String hash, String password) throws IOException, InterruptedException {
        List<String> parts = List.of(hash.split("\\$", -1));
        if (parts.size() != 4 || !parts.get(0).isEmpty() || !parts.get(1).equals("6")) {
            return false;
        }
        Process openssl = new ProcessBuilder("openssl", "passwd", "-6", "-salt", parts.get(2), "-stdin")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (OutputStream input = openssl.getOutputStream()) {
            input.write((password + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String computed = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!openssl.waitFor(30, TimeUnit.SECONDS)) {
            openssl.destroyForcibly();
            throw new AssertionError("openssl passwd did not finish within 30 s");
        }
        if (openssl.exitValue() != 0) {
            throw new AssertionError("openssl passwd -6 exited with " + openssl.exitValue());
        }
        return computed.equals(hash);
    }
}
