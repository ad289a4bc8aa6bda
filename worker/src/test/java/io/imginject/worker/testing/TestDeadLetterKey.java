package io.imginject.worker.testing;

import com.rabbitmq.client.AMQP;
import io.imginject.worker.deadletter.BrokenSealException;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.deadletter.DeadLetterSeal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The dead-letter key every worker and {@code dlq} command of a test run shares, as the workers and the operator of
 * a broker do: made once per run, 32 random bytes of mode 0600 in a private temporary directory, so that no test
 * depends on {@code /etc/imginject}.
 */
public final class TestDeadLetterKey {
    private static Path file;

    private TestDeadLetterKey() {}

    public static synchronized Path file() {
        if (file == null) {
            try {
                Path directory = Files.createTempDirectory(
                        "imginject-key-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                byte[] key = new byte[DeadLetterKey.BYTES];
                new SecureRandom().nextBytes(key);
                file = Files.write(
                        Files.createFile(
                                directory.resolve("dead-letter.key"),
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                        key);
                file.toFile().deleteOnExit();
                directory.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return file;
    }

    public static DeadLetterKey key() {
        try {
            return DeadLetterKey.load(file());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The request a sealed dead letter holds; fails the test when its seal does not hold. */
    public static byte[] open(AMQP.BasicProperties properties, byte[] body) {
        try {
            return new DeadLetterSeal(key()).open(properties, body);
        } catch (BrokenSealException e) {
            throw new AssertionError("the dead letter's seal does not hold: " + e.getMessage(), e);
        }
    }
}
