package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mounts block devices with an explicit type and {@code nosuid,nodev,noexec}, and unmounts them, retrying
 * briefly when the kernel still reports the mount busy. Unmounting what is not mounted does nothing.
 */
public final class Mounts {
    private static final List<String> SAFE_OPTIONS = List.of("nosuid", "nodev", "noexec", "noatime");
    private static final int UNMOUNT_TRIES = 5;
    private static final long UNMOUNT_PAUSE_MS = 100;

    private final ProcessRunner runner;

    public Mounts(ProcessRunner runner) {
        this.runner = runner;
    }

    public void mount(String device, String type, List<String> extraOptions, Path directory) {
        List<String> options = new ArrayList<>(SAFE_OPTIONS);
        options.addAll(extraOptions);
        runner.run("mount", "-t", type, "-o", String.join(",", options), device, directory.toString());
    }

    /** Mounts what is mounted on {@code from} on {@code directory} as well; the new mount keeps {@code from}'s flags. */
    public void bind(Path from, Path directory) {
        runner.run("mount", "--bind", from.toString(), directory.toString());
    }

    /**
     * Whether what is mounted on {@code directory} is the FUSE filesystem served from {@code source}: a mount that
     * failed without a word leaves the plain directory, where writes would land on the host.
     */
    public static boolean isFuseMountOf(Path directory, String source) throws IOException {
        return MountTable.read().isFuseMountOf(directory, source);
    }

    public void unmount(Path directory) throws IOException, InterruptedException {
        unmount(directory, List.of("umount", directory.toString()));
    }

    /** Unmounts a FUSE filesystem, such as nbdfuse's export or a fuse2fs mount. */
    public void unmountFuse(Path directory) throws IOException, InterruptedException {
        unmount(directory, List.of("fusermount3", "-u", directory.toString()));
    }

    private void unmount(Path directory, List<String> argv) throws IOException, InterruptedException {
        if (!MountTable.read().isMountPoint(directory)) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            CommandResult result = runner.runAllowingFailure(argv);
            if (result.succeeded()) {
                return;
            }
            if (attempt == UNMOUNT_TRIES || !result.stderr().contains("busy")) {
                throw new CommandFailedException(
                        result.argv(),
                        result.exitCode(),
                        result.stderr(),
                        "exited with status " + result.exitCode() + " after " + attempt + " tries");
            }
            Thread.sleep(UNMOUNT_PAUSE_MS * attempt);
        }
    }
}
