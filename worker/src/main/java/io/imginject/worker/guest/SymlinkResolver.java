package io.imginject.worker.guest;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a guest path the way the guest's own kernel would with the guest root as {@code /}, one component at
 * a time, so that every {@link GuestFs} implementation follows symlinks by the same rules: an absolute target
 * restarts at the guest root, {@code ..} stops at it, more than {@value #MAX_SYMLINKS} symlinks is a loop.
 */
final class SymlinkResolver {
    static final int MAX_SYMLINKS = 40;

    /** Looks up a path, given as names from the guest root, without following a symlink at its end. */
    @FunctionalInterface
    interface Lookup {
        Optional<FileStat> lstat(List<String> names);
    }

    private SymlinkResolver() {}

    /**
     * The names of the real directories and the final name that {@code path} leads to. Symlinks on the way are
     * followed; the last one only if {@code followLast}. Missing components are kept as they are, so the result
     * also names what does not exist yet.
     *
     * @throws UnsafePathException on a symlink loop, an empty symlink, or a path through a non-directory
     */
    static List<String> resolve(GuestPath path, boolean followLast, Lookup lookup) {
        Deque<String> pending = new ArrayDeque<>(path.names());
        List<String> resolved = new ArrayList<>();
        int symlinks = 0;
        while (!pending.isEmpty()) {
            String name = pending.removeFirst();
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (!resolved.isEmpty()) {
                    resolved.remove(resolved.size() - 1);
                }
                continue;
            }
            boolean last = pending.isEmpty();
            resolved.add(name);
            Optional<FileStat> stat = lookup.lstat(resolved);
            if (stat.isPresent() && stat.get().isSymlink() && (!last || followLast)) {
                resolved.remove(resolved.size() - 1);
                if (++symlinks > MAX_SYMLINKS) {
                    throw new UnsafePathException(
                            path, "crosses more than " + MAX_SYMLINKS + " symlinks (a symlink loop?)");
                }
                String target = stat.get().linkTarget().orElse("");
                if (target.isEmpty()) {
                    throw new UnsafePathException(path, "crosses an empty symlink");
                }
                if (target.startsWith("/")) {
                    resolved.clear();
                }
                String[] parts = target.split("/", -1);
                for (int i = parts.length - 1; i >= 0; i--) {
                    if (!parts[i].isEmpty()) {
                        pending.addFirst(parts[i]);
                    }
                }
            } else if (stat.isPresent() && !last && !stat.get().isDirectory()) {
                throw new UnsafePathException(
                        path,
                        "runs through /" + String.join("/", resolved) + ", which is "
                                + stat.get().describe() + ", not a directory");
            }
        }
        return resolved;
    }

    /** {@code /a/b} for names [a, b]; {@code /} for none. */
    static String join(List<String> names) {
        return "/" + String.join("/", names);
    }
}
