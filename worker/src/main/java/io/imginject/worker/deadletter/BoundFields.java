package io.imginject.worker.deadletter;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The fields a seal covers, as bytes: each length-prefixed, an absent one as length -1, so that no two different
 * lists of fields give the same bytes.
 */
final class BoundFields {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    BoundFields add(Optional<String> value) {
        return add(value.map(text -> text.getBytes(StandardCharsets.UTF_8)).orElse(null));
    }

    /** Adds {@code bytes}, or an absent field for null. */
    BoundFields add(byte[] bytes) {
        out.writeBytes(ByteBuffer.allocate(Integer.BYTES)
                .putInt(bytes == null ? -1 : bytes.length)
                .array());
        if (bytes != null) {
            out.writeBytes(bytes);
        }
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
