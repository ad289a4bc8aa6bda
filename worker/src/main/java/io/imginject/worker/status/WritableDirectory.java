package io.imginject.worker.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/** Whether a file can be made in a directory now: makes one and deletes it (a read-only or full disk fails it). */
public final class WritableDirectory implements BooleanSupplier {
    private final Path directory;

    public WritableDirectory(Path directory) {
        this.directory = directory;
    }

    @Override
    public boolean getAsBoolean() {
        try {
            Path probe = Files.createTempFile(directory, ".readyz-", "");
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
