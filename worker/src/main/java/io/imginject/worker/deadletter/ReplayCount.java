package io.imginject.worker.deadletter;

import com.rabbitmq.client.AMQP;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How often a request was replayed from the dead-letter queue. {@code imginject dlq replay} sets the count in
 * {@value DeadLetterHeaders#REPLAYS} and seals it in {@value DeadLetterHeaders#REPLAY_SEAL}: an HMAC-SHA256, under a
 * key derived from the dead-letter key, over the request's message id, correlation id, the count and the SHA-256
 * of its body. A worker trusts a count only when its seal verifies; any other counts as 0, a first run, so a
 * publisher cannot have its request parked at once, nor filed under another run's kept reply.
 */
public final class ReplayCount {
    private static final Logger log = LoggerFactory.getLogger(ReplayCount.class);

    private final DeadLetterKey key;

    public ReplayCount(DeadLetterKey key) {
        this.key = key;
    }

    /** The request's replay count if its seal verifies, else 0. */
    public int trusted(AMQP.BasicProperties properties, byte[] body) {
        Map<String, Object> headers = properties.getHeaders() == null ? Map.of() : properties.getHeaders();
        Optional<Integer> count = count(headers.get(DeadLetterHeaders.REPLAYS));
        if (count.isEmpty()) {
            return 0;
        }
        Object seal = headers.get(DeadLetterHeaders.REPLAY_SEAL);
        byte[] expected = seal(properties, count.get(), body).getBytes(StandardCharsets.US_ASCII);
        if (seal == null || !MessageDigest.isEqual(expected, seal.toString().getBytes(StandardCharsets.US_ASCII))) {
            log.warn(
                    "the request says it was replayed {} times, but {} does not verify; it counts as a first run",
                    count.get(),
                    DeadLetterHeaders.REPLAY_SEAL);
            return 0;
        }
        return count.get();
    }

    /** The headers that tell a worker, trustworthily, that the request is replay number {@code count}. */
    public Map<String, Object> headers(AMQP.BasicProperties properties, int count, byte[] body) {
        return Map.of(DeadLetterHeaders.REPLAYS, count, DeadLetterHeaders.REPLAY_SEAL, seal(properties, count, body));
    }

    private String seal(AMQP.BasicProperties properties, int count, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key.replayKey());
            byte[] fields = new BoundFields()
                    .add(Optional.ofNullable(properties.getMessageId()))
                    .add(Optional.ofNullable(properties.getCorrelationId()))
                    .add(Optional.of(Integer.toString(count)))
                    .add(MessageDigest.getInstance("SHA-256").digest(body))
                    .bytes();
            return Base64.getEncoder().encodeToString(mac.doFinal(fields));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256 and SHA-256", e);
        }
    }

    /** A positive count from the header's value, a number or its digits; nothing for anything else. */
    private static Optional<Integer> count(Object value) {
        if (value instanceof Number number) {
            return Optional.of(number.intValue()).filter(n -> n > 0);
        }
        if (value == null || !value.toString().strip().matches("[0-9]{1,9}")) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(value.toString().strip())).filter(n -> n > 0);
    }
}
