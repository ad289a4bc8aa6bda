package io.imginject.worker.handler.fuse;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.DeviceGrant;
import io.imginject.worker.host.FuseExport;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.HelperProcesses;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.UnprivilegedUser;
import io.imginject.worker.host.WorkDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Mounts an ext2/3/4 filesystem with fuse2fs, libext2fs in a userspace process, so that the host kernel never
 * parses it. fuse2fs runs in the foreground, a child of the worker's JVM, as {@link UnprivilegedUser}: no root
 * ids, no groups, no capabilities; it mounts through the setuid {@code fusermount3} with {@code allow_other}, so
 * that root, and only through the mount point's own modes, reads the mount. The user may open the one loop
 * device it serves, lent to it ({@link DeviceGrant}) only until fuse2fs has opened it, and owns the one empty
 * directory it mounts on. Ready once {@code /proc/self/mountinfo} shows that very directory as a FUSE mount of that
 * very device: a mount that failed silently leaves a plain host directory, and nothing is written there.
 *
 * <p>Released by stopping fuse2fs (SIGTERM: it flushes the filesystem, unmounts and exits 0), the way crash
 * recovery stops it too ({@link HelperProcesses}); a mount it left behind dead is unmounted ({@link FuseExport}),
 * then the directory removed.
 */
public final class Fuse2fs {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    private final UnprivilegedUser user;
    private final Path mountBase;
    private final Duration readyTimeout;
    private final HostResources resources;

    /**
     * @param mountBase a root-owned directory the user may pass through but not list (0711); each mount gets a fresh
     *     directory below it
     */
    public Fuse2fs(UnprivilegedUser user, Path mountBase, Duration readyTimeout, HostResources resources) {
        this.user = user;
        this.mountBase = mountBase;
        this.readyTimeout = readyTimeout;
        this.resources = resources;
    }

    /** Mounts the filesystem on {@code device} on a fresh directory, which it returns; {@code cleanup} releases it. */
    public Path mount(String device, boolean readOnly, Cleanup cleanup) {
        WorkDirectory work = WorkDirectory.freshIn(mountBase, "fs-");
        Path directory = work.path();
        try {
            resources.take(cleanup, work, () -> {
                work.create();
                Files.setAttribute(directory, "unix:gid", user.gid());
                Files.setAttribute(directory, "unix:uid", user.uid());
                return directory;
            });
            resources.take(cleanup, new FuseExport(directory), () -> directory);
            try (Cleanup lent = new Cleanup()) {
                DeviceGrant grant = DeviceGrant.of(Path.of(device));
                resources.take(lent, grant, () -> {
                    grant.lendTo(user);
                    return grant;
                });
                resources.take(
                        cleanup,
                        new HelperProcesses(directory),
                        () -> HelperProcess.start(
                                "fuse2fs",
                                user.running(argv(device, readOnly, directory)),
                                () -> isServing(directory, device),
                                readyTimeout),
                        helper -> helper.awaitCleanExit(EXIT_TIMEOUT));
            }
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR,
                    "could not prepare a fuse2fs mount of " + device + " under " + mountBase + ": " + e,
                    e);
        }
        return directory;
    }

    private static List<String> argv(String device, boolean readOnly, Path directory) {
        List<String> options = new ArrayList<>(List.of("allow_other", "nosuid", "nodev", "noexec"));
        if (readOnly) {
            options.add("ro");
        }
        return List.of("fuse2fs", device, directory.toString(), "-f", "-o", String.join(",", options));
    }

    private static boolean isServing(Path directory, String device) {
        try {
            return Mounts.isFuseMountOf(directory, device);
        } catch (IOException e) {
            return false;
        }
    }
}
