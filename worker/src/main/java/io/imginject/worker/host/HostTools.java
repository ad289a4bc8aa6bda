package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Facts about this host that decide which handlers can work: installed tools, privileges, devices. */
public final class HostTools {
    private static final List<String> SYSTEM_DIRECTORIES =
            List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private HostTools() {}

    /** The PATH host tools run with: the worker's own, plus the sbin directories that hold losetup and mount. */
    public static String searchPath() {
        Set<String> directories = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            directories.addAll(List.of(path.split(":", -1)));
        }
        directories.addAll(SYSTEM_DIRECTORIES);
        directories.remove("");
        return String.join(":", directories);
    }

    /** The tools of {@code names} that are not on the search path. */
    public static List<String> missing(String... names) {
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (find(name).isEmpty()) {
                missing.add(name);
            }
        }
        return missing;
    }

    public static Optional<Path> find(String name) {
        for (String directory : searchPath().split(":", -1)) {
            Path candidate = Path.of(directory, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Whether this process runs as root, which mounting and attaching devices need. */
    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
