package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A filesystem mounted on {@code path} by the kernel. Released by unmounting it, never lazily: a lazy unmount would
 * hide a mount that still holds its device, and the device, and what lies under it, could then never be released.
 */
public record Mount(Path path) implements HeldResource {

    static Mount from(JournalFields fields) throws UnreadableJournalException {
        return new Mount(fields.path("path"));
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("path", path);
    }

    @Override
    public void release(ReleaseTools host) throws IOException, InterruptedException {
        host.mounts().unmount(path);
    }
}
