package io.imginject.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The rules a guest path in a request must follow: absolute, normalised ({@code /etc/motd}, not
 * {@code /etc/./motd}, {@code /etc//motd} or {@code /etc/../motd}), within Linux's length limits.
 */
public final class GuestPaths {
    public static final int MAX_PATH_BYTES = 4095;
    public static final int MAX_NAME_BYTES = 255;

    private GuestPaths() {}

    /** What is wrong with {@code path} as the guest path of a file, or empty if nothing is. */
    public static Optional<String> problemWith(String path) {
        if (path.isEmpty()) {
            return Optional.of("must not be empty");
        }
        if (path.indexOf('\0') >= 0) {
            return Optional.of("must not contain a NUL character");
        }
        if (!path.startsWith("/")) {
            return Optional.of("must be absolute (start with /)");
        }
        if (path.equals("/") || path.endsWith("/")) {
            return Optional.of("must name a file, not end with /");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            return Optional.of("is longer than " + MAX_PATH_BYTES + " bytes");
        }
        for (String name : path.substring(1).split("/", -1)) {
            if (name.isEmpty()) {
                return Optional.of("must not contain an empty component (//)");
            }
            if (name.equals(".") || name.equals("..")) {
                return Optional.of("must not contain '" + name + "' components; give the normalised path");
            }
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                return Optional.of("has a component longer than " + MAX_NAME_BYTES + " bytes");
            }
        }
        return Optional.empty();
    }
}
