package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A FUSE filesystem mounted on {@code path} by a helper (nbdfuse's export of a disk, fuse2fs's of a guest
 * filesystem); unmounting it ends the helper.
 */
public record FuseExport(Path path) implements HeldResource {

    static FuseExport from(JournalFields fields) throws UnreadableJournalException {
        return new FuseExport(fields.path("path"));
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("path", path);
    }

    @Override
    public void release(ReleaseTools host) throws IOException, InterruptedException {
        host.mounts().unmountFuse(path);
    }
}
