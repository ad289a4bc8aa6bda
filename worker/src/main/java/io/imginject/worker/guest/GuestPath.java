package io.imginject.worker.guest;

import io.imginject.protocol.GuestPaths;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** An absolute, normalised path inside the guest, such as {@code /root/.ssh/authorized_keys}. */
public final class GuestPath {
    private final List<String> names;

    private GuestPath(List<String> names) {
        this.names = names;
    }

    /**
     * The guest path {@code path} names, checked.
     *
     * @throws IllegalArgumentException if {@code path} breaks {@link GuestPaths}' rules
     */
    public static GuestPath of(String path) {
        GuestPaths.problemWith(path).ifPresent(problem -> {
            throw new IllegalArgumentException("guest path " + path + " " + problem);
        });
        return new GuestPath(List.of(path.substring(1).split("/")));
    }

    /** The names from the root down, e.g. [root, .ssh, authorized_keys]. */
    public List<String> names() {
        return names;
    }

    /** The directory holding this path; empty for a path directly under the root. */
    public Optional<GuestPath> parent() {
        return names.size() == 1 ? Optional.empty() : Optional.of(new GuestPath(names.subList(0, names.size() - 1)));
    }

    public GuestPath resolve(String name) {
        String[] more = Arrays.copyOf(names.toArray(new String[0]), names.size() + 1);
        more[names.size()] = name;
        return GuestPath.of("/" + String.join("/", more));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GuestPath that && names.equals(that.names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    @Override
    public String toString() {
        return "/" + String.join("/", names);
    }
}
