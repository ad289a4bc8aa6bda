package io.imginject.worker.handler.fuse;

import io.imginject.worker.host.HostTools;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.UnprivilegedUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Optional;

/**
 * Whether fuse2fs can run here as its unprivileged user, and if not, why.
 *
 * @param user the driver's user, when the host has it
 * @param problem what keeps fuse2fs from working; empty when nothing does
 */
public record Fuse2fsSupport(Optional<UnprivilegedUser> user, Optional<String> problem) {
    private static final Path FUSE_DEVICE = Path.of("/dev/fuse");
    private static final Path FUSE_CONF = Path.of("/etc/fuse.conf");

    /**
     * Checks this host for fuse2fs run as the user {@code userName}, mounting below {@code mountBase}.
     */
    public static Fuse2fsSupport check(String userName, Path mountBase, ProcessRunner runner) {
        List<String> missing = HostTools.missing("fuse2fs", "fusermount3", "setpriv", "getent");
        if (!missing.isEmpty()) {
            return unusable(
                    "fuse2fs needs " + String.join(", ", missing) + " (Debian: fuse2fs, fuse3, util-linux, libc-bin)");
        }
        if (!Files.exists(FUSE_DEVICE)) {
            return unusable("the kernel has no FUSE support (" + FUSE_DEVICE + " is missing)");
        }
        if (!allowsOtherUsers()) {
            return unusable(
                    FUSE_CONF + " lacks the line user_allow_other, without which root cannot read a mount the driver's"
                            + " unprivileged user made (deploy/setup-host adds it)");
        }
        Optional<UnprivilegedUser> user;
        try {
            user = UnprivilegedUser.lookup(userName, runner);
        } catch (IllegalArgumentException e) {
            return unusable(e.getMessage());
        }
        if (user.isEmpty()) {
            return unusable("the host has no user " + userName
                    + " to run fuse2fs as (deploy/setup-host makes it; or set fuse-user)");
        }
        Optional<Path> closed = firstClosedDirectory(mountBase);
        if (closed.isPresent()) {
            return unusable("fuse2fs's user " + userName + " cannot reach its mount points under " + mountBase + ": "
                    + closed.get() + " does not let others pass (chmod o+x, or another run-dir)");
        }
        return new Fuse2fsSupport(user, Optional.empty());
    }

    /**
     * The first directory on the way to {@code directory}, itself included, that others may not pass through; those
     * not made yet are left out (the worker makes them passable).
     */
    private static Optional<Path> firstClosedDirectory(Path directory) {
        for (Path step = directory.toAbsolutePath(); step != null; step = step.getParent()) {
            if (!Files.exists(step)) {
                continue;
            }
            try {
                if (!Files.getPosixFilePermissions(step).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return Optional.of(step);
                }
            } catch (IOException e) {
                return Optional.of(step);
            }
        }
        return Optional.empty();
    }

    private static Fuse2fsSupport unusable(String problem) {
        return new Fuse2fsSupport(Optional.empty(), Optional.of(problem));
    }

    private static boolean allowsOtherUsers() {
        try {
            return Files.readAllLines(FUSE_CONF).stream().map(String::strip).anyMatch("user_allow_other"::equals);
        } catch (IOException e) {
            return false;
        }
    }
}
