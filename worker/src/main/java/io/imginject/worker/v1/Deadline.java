package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.RequestRejectedException;
import io.imginject.protocol.Wire;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * When a request must have started by: the {@code x-imginject-deadline} header (epoch milliseconds, or an
 * ISO-8601 instant), else the AMQP expiration counted from the request's timestamp, when it carries both.
 */
final class Deadline {
    private Deadline() {}

    static Optional<Instant> of(AMQP.BasicProperties properties) throws RequestRejectedException {
        Object header =
                properties.getHeaders() == null ? null : properties.getHeaders().get(Wire.DEADLINE_HEADER);
        if (header != null) {
            String text = header.toString().strip();
            try {
                return Optional.of(
                        text.matches("[0-9]{1,15}") ? Instant.ofEpochMilli(Long.parseLong(text)) : Instant.parse(text));
            } catch (DateTimeParseException e) {
                throw new RequestRejectedException(
                        ErrorCode.INVALID_REQUEST,
                        "header " + Wire.DEADLINE_HEADER + " is \"" + text
                                + "\"; give epoch milliseconds or an ISO-8601 instant such as 2026-11-27T12:00:00Z");
            }
        }
        if (properties.getExpiration() != null
                && properties.getTimestamp() != null
                && properties.getExpiration().matches("[0-9]{1,15}")) {
            return Optional.of(
                    properties.getTimestamp().toInstant().plusMillis(Long.parseLong(properties.getExpiration())));
        }
        return Optional.empty();
    }
}
