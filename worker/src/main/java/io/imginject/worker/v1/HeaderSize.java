package io.imginject.worker.v1;

import com.rabbitmq.client.LongString;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * How many bytes a message's headers take as AMQP encodes them (a field table). The broker's frame size limits
 * them; a request whose headers come near it could not be read again once the broker adds its own on a
 * redelivery or a dead-lettering ({@code x-delivery-count}, {@code x-death}): every client would drop the
 * connection on it.
 */
final class HeaderSize {
    /** The most header bytes a request may have: half the broker's default 128 KiB frame, room for what is added. */
    static final int MAX_REQUEST_HEADER_BYTES = 64 * 1024;

    private HeaderSize() {}

    /** The encoded size of {@code headers}; null is an empty table. */
    static long of(Map<String, Object> headers) {
        long size = 4;
        if (headers != null) {
            for (Map.Entry<String, Object> entry : headers.entrySet()) {
                size += 1 + entry.getKey().getBytes(StandardCharsets.UTF_8).length + 1 + value(entry.getValue());
            }
        }
        return size;
    }

    @SuppressWarnings("unchecked")
    private static long value(Object value) {
        if (value instanceof LongString text) {
            return 4 + text.length();
        }
        if (value instanceof String text) {
            return 4L + text.getBytes(StandardCharsets.UTF_8).length;
        }
        if (value instanceof byte[] bytes) {
            return 4L + bytes.length;
        }
        if (value instanceof Map<?, ?> table) {
            return of((Map<String, Object>) table);
        }
        if (value instanceof List<?> list) {
            return 4 + list.stream().mapToLong(item -> 1 + value(item)).sum();
        }
        if (value instanceof BigDecimal) {
            return 5;
        }
        return value == null ? 0 : 8;
    }
}
