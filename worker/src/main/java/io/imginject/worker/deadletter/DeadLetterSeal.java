package io.imginject.worker.deadletter;

import com.rabbitmq.client.AMQP;
import io.imginject.protocol.Wire;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals a dead letter: its body is encrypted with AES-256-GCM under the {@link DeadLetterKey} (a random
 * {@value #NONCE_BYTES}-byte nonce per letter, put before the ciphertext), and what replay and the operator's
 * filters trust is bound to it as associated data: its message id, correlation id and reply_to, and the headers
 * {@link #BOUND_HEADERS}. So a reader without the key learns none of the request, and no one without it can
 * change where a replay goes, its job, its replay count or the failure it is filed under without the seal failing.
 * The letter says {@value DeadLetterHeaders#SEALED_VERSION} in {@link DeadLetterHeaders#SEALED} and the key's id in
 * {@link DeadLetterHeaders#SEAL_KEY}.
 */
public final class DeadLetterSeal {
    /** The headers the seal covers, besides the properties message_id, correlation_id and reply_to. */
    public static final List<String> BOUND_HEADERS = List.of(
            DeadLetterHeaders.ORIGINAL_EXCHANGE,
            DeadLetterHeaders.ORIGINAL_ROUTING_KEY,
            DeadLetterHeaders.REPLAYS,
            DeadLetterHeaders.ERROR_CODE,
            DeadLetterHeaders.HOST,
            DeadLetterHeaders.FAILED_AT,
            Wire.DEADLINE_HEADER);

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DeadLetterKey key;

    public DeadLetterSeal(DeadLetterKey key) {
        this.key = key;
    }

    /** A sealed letter: its properties, which say it is sealed and with which key, and its encrypted body. */
    @SuppressWarnings("ArrayRecordComponent") // carries a body to the AMQP client's byte[]; never compared
    public record Sealed(AMQP.BasicProperties properties, byte[] body) {}

    /** Seals {@code body} under {@code properties}, whose headers must already hold everything the seal covers. */
    public Sealed seal(AMQP.BasicProperties properties, byte[] body) {
        Map<String, Object> headers =
                new HashMap<>(properties.getHeaders() == null ? Map.of() : properties.getHeaders());
        headers.put(DeadLetterHeaders.SEALED, DeadLetterHeaders.SEALED_VERSION);
        headers.put(DeadLetterHeaders.SEAL_KEY, key.id());
        AMQP.BasicProperties sealed = properties.builder().headers(headers).build();
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            byte[] ciphertext = cipher(Cipher.ENCRYPT_MODE, nonce, sealed).doFinal(body);
            return new Sealed(
                    sealed,
                    ByteBuffer.allocate(NONCE_BYTES + ciphertext.length)
                            .put(nonce)
                            .put(ciphertext)
                            .array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption cannot fail with a fresh nonce", e);
        }
    }

    /** The request a sealed letter holds, once its seal is found to hold. */
    public byte[] open(AMQP.BasicProperties properties, byte[] body) throws BrokenSealException {
        Optional<String> version = header(properties, DeadLetterHeaders.SEALED);
        if (version.isEmpty()) {
            throw new BrokenSealException(
                    BrokenSealException.Reason.NOT_SEALED,
                    "the letter is not sealed (no "
                            + DeadLetterHeaders.SEALED
                            + " header): no worker put it in the dead-letter queue as it is, so nothing on it"
                            + " can be trusted; look at it with dlq show, then purge it");
        }
        if (!version.get().equals(DeadLetterHeaders.SEALED_VERSION)) {
            throw new BrokenSealException(
                    BrokenSealException.Reason.UNKNOWN_VERSION,
                    "the letter is sealed as \"" + version.get() + "\"; this version of imginject opens only "
                            + DeadLetterHeaders.SEALED_VERSION);
        }
        String keyId = header(properties, DeadLetterHeaders.SEAL_KEY).orElse("(none)");
        if (!keyId.equals(key.id())) {
            throw new BrokenSealException(
                    BrokenSealException.Reason.OTHER_KEY,
                    "the letter was sealed with the dead-letter key " + keyId + ", not with this one (" + key.id()
                            + "); use the key file of the workers that sealed it");
        }
        if (body.length < NONCE_BYTES) {
            throw tampered();
        }
        try {
            return cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(body, NONCE_BYTES), properties)
                    .doFinal(body, NONCE_BYTES, body.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw tampered();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption fails only on a bad tag", e);
        }
    }

    /** A cipher for {@code mode} with {@code nonce}, the letter's bound fields given as associated data. */
    private Cipher cipher(int mode, byte[] nonce, AMQP.BasicProperties properties) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key.cipherKey(), new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(associatedData(properties));
        return cipher;
    }

    private static BrokenSealException tampered() {
        return new BrokenSealException(
                BrokenSealException.Reason.TAMPERED,
                "the letter's seal does not verify: its body, or one of"
                        + " message_id, correlation_id, reply_to, " + String.join(", ", BOUND_HEADERS)
                        + ", was changed after a worker sealed it,"
                        + " or the letter was forged; it is not to be replayed");
    }

    /** What the seal covers: the seal version, the letter's ids and reply address, and its bound headers. */
    private static byte[] associatedData(AMQP.BasicProperties properties) {
        BoundFields fields = new BoundFields()
                .add(Optional.of(DeadLetterHeaders.SEALED_VERSION))
                .add(Optional.ofNullable(properties.getMessageId()))
                .add(Optional.ofNullable(properties.getCorrelationId()))
                .add(Optional.ofNullable(properties.getReplyTo()));
        BOUND_HEADERS.forEach(name -> fields.add(header(properties, name)));
        return fields.bytes();
    }

    /** A header's value as text; byte arrays by their bytes, not by the identity {@code toString} gives them. */
    private static Optional<String> header(AMQP.BasicProperties properties, String name) {
        return Optional.ofNullable(properties.getHeaders())
                .map(headers -> headers.get(name))
                .map(value -> value instanceof byte[] bytes ? Arrays.toString(bytes) : value.toString());
    }
}
