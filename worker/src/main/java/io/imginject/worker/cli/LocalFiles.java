package io.imginject.worker.cli;

import io.imginject.protocol.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files on the machine a command runs on, read for a request; a file that cannot be read is bad input. */
final class LocalFiles {
    private LocalFiles() {}

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file's first line, a password: kept in a file so that it never shows in ps. */
    static Secret firstLine(Path file) {
        return Secret.of(new String(read(file), StandardCharsets.UTF_8)
                .lines()
                .findFirst()
                .orElse(""));
    }
}
