package io.imginject.protocol;

import java.util.regex.Pattern;

/**
 * Which names from a request may be quoted back in a reply, a log line or a header: only plain identifiers, such
 * as a misspelt field name. Anything else from a body (values, odd keys) is described, never quoted.
 */
public final class PlainNames {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,63}");

    private PlainNames() {}

    /** Whether {@code name} is a plain identifier of at most 64 characters. */
    public static boolean isPlain(String name) {
        return name != null && PLAIN.matcher(name).matches();
    }
}
