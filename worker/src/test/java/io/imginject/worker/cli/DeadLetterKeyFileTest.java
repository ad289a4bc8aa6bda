package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that could not keep its dead letters secret does not start: without a dead-letter key file it can read,
 * of exactly 32 bytes, that no group or other may use, it says what is wrong with the file and exits with status 2.
 */
class DeadLetterKeyFileTest {
    @TempDir
    Path directory;

    /** Runs {@code imginject worker} with {@code keyFile} as its dead-letter key; returns its exit status. */
    int workerWithKey(Path keyFile) throws Exception {
        return WorkerProcess.refusedStart(
                directory.resolve("worker.log"),
                "--amqp-uri",
                TestBroker.uri().toString(),
                "--host",
                "key-test-" + UUID.randomUUID().toString().substring(0, 8),
                "--image-root",
                directory.toString(),
                "--run-dir",
                directory.resolve("run").toString(),
                "--dead-letter-key-file",
                keyFile.toString());
    }

    String log() throws Exception {
        return Files.readString(directory.resolve("worker.log"));
    }

    Path keyFile(int bytes, String mode) throws Exception {
        Path file = Files.write(directory.resolve("dead-letter.key"), new byte[bytes]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void a_worker_without_its_key_file_refuses_to_start() throws Exception {
        Path missing = directory.resolve("nowhere.key");

        assertThat(workerWithKey(missing)).isEqualTo(2);
        assertThat(log())
                .contains("imginject worker: the dead-letter key file " + missing + " does not exist")
                .contains("deploy/setup-host makes one")
                .doesNotContain("ready:");
    }

    @Test
    void a_worker_whose_key_file_is_not_32_bytes_refuses_to_start() throws Exception {
        Path file = keyFile(16, "rw-------");

        assertThat(workerWithKey(file)).isEqualTo(2);
        assertThat(log())
                .contains("the dead-letter key file " + file
                        + " holds 16 bytes; a dead-letter key is exactly 32 random bytes")
                .doesNotContain("ready:");
    }

    @Test
    void a_worker_whose_key_file_its_group_or_others_may_read_refuses_to_start() throws Exception {
        Path file = keyFile(32, "rw-r-----");

        assertThat(workerWithKey(file)).isEqualTo(2);
        assertThat(log())
                .contains("the dead-letter key file " + file + " has mode rw-r-----")
                .contains("chmod 600 " + file)
                .doesNotContain("ready:");
    }
}
