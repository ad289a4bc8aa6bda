package io.imginject.worker.item;

import io.imginject.protocol.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import org.apache.commons.codec.digest.Sha2Crypt;

/**
 * Hashes a password for {@code /etc/shadow} with SHA-512 crypt ({@code $6$}) and a 16-character salt drawn from
 * a CSPRNG. Every glibc since 2.7 and musl read it; nova's MD5 with a Mersenne-Twister salt is what this replaces.
 */
final class ShadowPasswordHasher {
    private static final String SALT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ShadowPasswordHasher() {}

    static String hash(Secret password) {
        StringBuilder salt = new StringBuilder("$6$");
        for (int i = 0; i < 16; i++) {
            salt.append(SALT_ALPHABET.charAt(RANDOM.nextInt(SALT_ALPHABET.length())));
        }
        return Sha2Crypt.sha512Crypt(password.reveal(), salt.toString());
    }

    /**
     * Whether {@code hash}, a shadow entry's hash field, is a SHA-512 crypt hash of {@code password}. Other schemes
     * count as not: the password is hashed anew with SHA-512 crypt, as it would be the first time.
     */
    static boolean isHashOf(String hash, Secret password) {
        if (!hash.startsWith("$6$")) {
            return false;
        }
        try {
            return MessageDigest.isEqual(
                    Sha2Crypt.sha512Crypt(password.reveal(), hash).getBytes(StandardCharsets.US_ASCII),
                    hash.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException malformedSalt) {
            return false;
        }
    }
}
