package io.imginject.worker.dlq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.imginject.worker.amqp.DeadLetterHeaders;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A message in the dead-letter queue, with what its headers say: why it failed, where, when, and where it was first
 * published. Messages the broker dead-lettered itself (delivery limit, expiry) say it in {@code x-death} instead.
 *
 * @param deliveryTag its delivery tag on the channel it was read from
 * @param properties its AMQP properties
 * @param body its body, as published
 * @param routingKey the routing key it was dead-lettered with
 */
public record DeadLetter(long deliveryTag, AMQP.BasicProperties properties, byte[] body, String routingKey) {

    static DeadLetter of(GetResponse response) {
        return new DeadLetter(response.getEnvelope().getDeliveryTag(), response.getProps(), response.getBody(),
                response.getEnvelope().getRoutingKey());
    }

    public Map<String, Object> headers() {
        return properties.getHeaders() == null ? Map.of() : properties.getHeaders();
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers().get(name)).map(Object::toString);
    }

    public String jobId() {
        return Optional.ofNullable(properties.getMessageId()).or(() -> Optional.ofNullable(properties.getCorrelationId())).orElse("-");
    }

    /** The body as it may be shown: a request without its password and file contents. */
    public String redactedBody() {
        return RedactedBody.of(body);
    }

    public Optional<String> correlationId() {
        return Optional.ofNullable(properties.getCorrelationId());
    }

    /** The worker host that gave up on it, or the host its routing key names. */
    public Optional<String> host() {
        return header(DeadLetterHeaders.HOST).or(() -> originalRoutingKey().filter(k -> k.startsWith("inject.")).map(k -> k.substring(7)));
    }

    /** The error code, or for a message the broker dead-lettered, its reason ({@code delivery_limit}, {@code expired}). */
    public String code() {
        return header(DeadLetterHeaders.ERROR_CODE).or(() -> firstDeath().map(d -> String.valueOf(d.get("reason")))).orElse("unknown");
    }

    public String message() {
        return header(DeadLetterHeaders.ERROR_MESSAGE).orElse(firstDeath().map(d -> "dead-lettered by the broker: " + d.get("reason")).orElse(""));
    }

    public Optional<Instant> failedAt() {
        Optional<String> header = header(DeadLetterHeaders.FAILED_AT);
        if (header.isPresent()) {
            try {
                return Optional.of(Instant.parse(header.get()));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        return firstDeath().map(d -> d.get("time")).filter(t -> t instanceof Date).map(t -> ((Date) t).toInstant());
    }

    public int replays() {
        return header(DeadLetterHeaders.REPLAYS).map(v -> {
            try {
                return Integer.parseInt(v.strip());
            } catch (NumberFormatException e) {
                return 0;
            }
        }).orElse(0);
    }

    /** Where it was first published: the worker's header, else the broker's x-death record. */
    public Optional<String> originalExchange() {
        return header(DeadLetterHeaders.ORIGINAL_EXCHANGE).or(() -> firstDeath().map(d -> String.valueOf(d.get("exchange"))));
    }

    public Optional<String> originalRoutingKey() {
        return header(DeadLetterHeaders.ORIGINAL_ROUTING_KEY).or(() -> firstDeath()
                .map(d -> d.get("routing-keys"))
                .filter(keys -> keys instanceof List<?> list && !list.isEmpty())
                .map(keys -> String.valueOf(((List<?>) keys).get(0))));
    }

    @SuppressWarnings("unchecked")
    private Optional<Map<String, Object>> firstDeath() {
        Object deaths = headers().get("x-death");
        if (deaths instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?> death) {
            return Optional.of((Map<String, Object>) death);
        }
        return Optional.empty();
    }
}
