package io.imginject.worker.deadletter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The dead-letter key: {@value #BYTES} random bytes in a file only its owner may read ({@code deploy/setup-host}
 * makes {@value #DEFAULT_FILE}), held by the workers, which seal every dead letter with it, and by the operator's
 * {@code imginject dlq}, which opens them and seals the replay counts it sets. Its id, the first
 * {@value #ID_BYTES} bytes of its SHA-256 in hex, goes on every letter it seals, so that a letter sealed with
 * another key is told apart from a forged one.
 */
public final class DeadLetterKey {
    public static final String DEFAULT_FILE = "/etc/imginject/dead-letter.key";
    public static final int BYTES = 32;
    private static final int ID_BYTES = 8;
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    private static final byte[] REPLAY_SEAL_LABEL = "imginject replay-seal v1".getBytes(StandardCharsets.UTF_8);

    private final SecretKey cipherKey;
    private final SecretKey replayKey;
    private final String id;

    private DeadLetterKey(SecretKey cipherKey, SecretKey replayKey, String id) {
        this.cipherKey = cipherKey;
        this.replayKey = replayKey;
        this.id = id;
    }

    /** Reads the key from {@code file}, refusing one that is missing, unreadable, of the wrong size or open to others. */
    public static DeadLetterKey load(Path file) throws DeadLetterKeyException {
        String fix =
                "; deploy/setup-host makes one (" + BYTES + " random bytes, mode 0600, in a directory of mode 0700),"
                        + " or set dead-letter-key-file to the key the other workers of this broker use";
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new DeadLetterKeyException(
                    DeadLetterKeyException.Reason.MISSING,
                    "the dead-letter key file " + file + " does not exist" + fix);
        } catch (IOException e) {
            throw new DeadLetterKeyException(
                    DeadLetterKeyException.Reason.UNREADABLE,
                    "cannot read the dead-letter key file " + file + ": " + e.getMessage());
        }
        if (!attributes.isRegularFile()) {
            throw new DeadLetterKeyException(
                    DeadLetterKeyException.Reason.UNREADABLE,
                    "the dead-letter key file " + file + " is not a regular file" + fix);
        }
        if (!OWNER_ONLY.containsAll(attributes.permissions())) {
            throw new DeadLetterKeyException(
                    DeadLetterKeyException.Reason.TOO_OPEN,
                    "the dead-letter key file " + file + " has mode "
                            + PosixFilePermissions.toString(attributes.permissions())
                            + ": its group or others may use it, so the key that"
                            + " keeps dead letters secret is not secret; chmod 600 " + file
                            + " (and think of the key as known: make a new one)");
        }
        byte[] key;
        try {
            key = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DeadLetterKeyException(
                    DeadLetterKeyException.Reason.UNREADABLE,
                    "cannot read the dead-letter key file " + file + " (" + e.getMessage()
                            + "); run as its owner (root, as deploy/setup-host makes it)");
        }
        try {
            if (key.length != BYTES) {
                throw new DeadLetterKeyException(
                        DeadLetterKeyException.Reason.WRONG_SIZE,
                        "the dead-letter key file " + file + " holds "
                                + key.length + " bytes; a dead-letter key is exactly " + BYTES
                                + " random bytes (head -c " + BYTES
                                + " /dev/urandom > " + file + " makes one)");
            }
            return of(key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static DeadLetterKey of(byte[] key) {
        try {
            Mac derive = Mac.getInstance("HmacSHA256");
            derive.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] replay = derive.doFinal(REPLAY_SEAL_LABEL);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            return new DeadLetterKey(
                    new SecretKeySpec(key, "AES"),
                    new SecretKeySpec(replay, "HmacSHA256"),
                    HexFormat.of().formatHex(digest, 0, ID_BYTES));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256 and SHA-256", e);
        }
    }

    /** The key's id: the first bytes of its SHA-256, in hex; no secret. */
    public String id() {
        return id;
    }

    /** The AES-256 key dead-letter bodies are sealed with. */
    SecretKey cipherKey() {
        return cipherKey;
    }

    /** The HMAC-SHA256 key replay counts are sealed with, derived from the key so that neither use gives away the other. */
    SecretKey replayKey() {
        return replayKey;
    }
}
