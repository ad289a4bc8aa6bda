package io.imginject.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A value that must never reach a log: a password or the content of a file. {@link #toString()} hides it, so
 * records holding secrets can be logged or printed by mistake without leaking them.
 */
public final class Secret {
    private final byte[] value;

    private Secret(byte[] value) {
        this.value = value;
    }

    public static Secret of(byte[] value) {
        return new Secret(value.clone());
    }

    public static Secret of(String value) {
        return new Secret(value.getBytes(StandardCharsets.UTF_8));
    }

    /** The value itself; call only where it is used, never to log it. */
    public byte[] reveal() {
        return value.clone();
    }

    public String revealAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    public int length() {
        return value.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret that && Arrays.equals(value, that.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "<secret " + value.length + " bytes>";
    }
}
