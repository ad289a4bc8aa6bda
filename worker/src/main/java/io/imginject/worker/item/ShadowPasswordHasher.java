package io.imginject.worker.item;

import io.imginject.protocol.Secret;
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
}
