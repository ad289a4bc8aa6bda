package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Path;

/** Paths as the kernel shows them in mountinfo and losetup's listing: links resolved, odd characters octal-escaped. */
final class KernelPaths {
    private KernelPaths() {
    }

    /**
     * {@code path} as the kernel names it: its directory with links resolved. The last component is not followed,
     * so that a hung FUSE mount on it is never asked.
     */
    static Path asKernelShows(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null) {
            return absolute;
        }
        try {
            return parent.toRealPath().resolve(absolute.getFileName());
        } catch (IOException e) {
            return absolute;
        }
    }

    /** A path field of mountinfo or of {@code losetup --raw}, which write space, tab, newline and backslash as octal escapes. */
    static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
