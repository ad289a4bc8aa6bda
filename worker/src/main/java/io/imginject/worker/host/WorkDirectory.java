package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * A private directory of a job's (a mount point, or the sockets, pid files and FUSE export of its helpers), removed
 * with all it holds. Never while anything is mounted in it, and never outside the run directory.
 */
public record WorkDirectory(Path path) implements HeldResource {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A directory under {@code base} named {@code prefix} and 16 random hex digits, not made yet. */
    public static WorkDirectory freshIn(Path base, String prefix) {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return new WorkDirectory(base.resolve(prefix + HexFormat.of().formatHex(bytes)));
    }

    /** Makes the directory, mode 0700, and returns its path; fails if something is there already. */
    public Path create() throws IOException {
        return Files.createDirectory(
                path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    static WorkDirectory from(JournalFields fields) throws UnreadableJournalException {
        return new WorkDirectory(fields.path("path"));
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("path", path);
    }

    @Override
    public void release(ReleaseTools host) throws IOException {
        if (!host.isInRunDirectory(path) || !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (MountTable.read().holdsMountAtOrBelow(path)) {
            throw new IOException(path + " still has something mounted in it");
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path entry : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(entry);
            }
        }
    }
}
