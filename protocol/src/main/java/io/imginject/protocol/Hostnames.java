package io.imginject.protocol;

import java.util.regex.Pattern;

/** Host names as RFC 1123 allows them: dot-separated labels of letters, digits and inner hyphens. */
public final class Hostnames {
    /** The longest host name taken, in characters. */
    public static final int MAX_CHARS = 253;

    private static final Pattern HOSTNAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?" + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private Hostnames() {}

    public static boolean isValid(String name) {
        return name.length() <= MAX_CHARS && HOSTNAME.matcher(name).matches();
    }
}
