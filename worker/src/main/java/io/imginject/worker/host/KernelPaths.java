package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Paths as the kernel shows them in mountinfo and losetup's listing: links resolved, odd characters escaped. */
final class KernelPaths {
    private static final Pattern ESCAPE = Pattern.compile("\\\\(?:([0-7]{3})|x([0-9a-fA-F]{2}))");

    private KernelPaths() {}

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

    /**
     * A path field of mountinfo, which writes space, tab, newline and backslash as octal escapes ({@code \040}), or of
     * {@code losetup --raw}, which writes them as hex escapes ({@code \x20}).
     */
    static String unescape(String field) {
        return ESCAPE.matcher(field)
                .replaceAll(escape -> Matcher.quoteReplacement(Character.toString(
                        escape.group(1) != null
                                ? Integer.parseInt(escape.group(1), 8)
                                : Integer.parseInt(escape.group(2), 16))));
    }
}
