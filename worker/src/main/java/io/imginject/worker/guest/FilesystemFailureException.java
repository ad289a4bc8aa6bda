package io.imginject.worker.guest;

import java.io.IOException;
import java.util.Set;

/**
 * An I/O failure that says the guest's filesystem itself is damaged: the kernel found corrupt metadata (a bad
 * checksum, a structure that needs cleaning) or, having found some, remounted the filesystem read-only or shut it
 * down. Nothing more should be written to it.
 */
public final class FilesystemFailureException extends IOException {
    /** strerror texts of EBADMSG (ext4's bad checksum), EUCLEAN (corrupt structure), EROFS (after errors=remount-ro), EIO. */
    private static final Set<String> REASONS =
            Set.of("Bad message", "Structure needs cleaning", "Read-only file system", "Input/output error");

    FilesystemFailureException(String reason, IOException cause) {
        super(reason, cause);
    }

    /** Whether {@code reason}, the operating system's text for a failed call, is one of these. */
    static boolean isFilesystemFailure(String reason) {
        return REASONS.contains(reason);
    }
}
