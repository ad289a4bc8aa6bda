package io.imginject.worker.host;

import java.nio.file.Path;

/**
 * What releasing a {@link HeldResource} needs of the host: its commands, and the run directory, outside which no
 * work directory is ever removed.
 */
public final class ReleaseTools {
    private final ProcessRunner runner;
    private final Mounts mounts;
    private final LoopDevices loops;
    private final Path runDir;

    public ReleaseTools(ProcessRunner runner, Path runDir) {
        this.runner = runner;
        this.mounts = new Mounts(runner);
        this.loops = new LoopDevices(runner);
        this.runDir = runDir;
    }

    ProcessRunner runner() {
        return runner;
    }

    Mounts mounts() {
        return mounts;
    }

    LoopDevices loops() {
        return loops;
    }

    /** Whether {@code path} lies below the run directory. */
    boolean isInRunDirectory(Path path) {
        return path.toAbsolutePath()
                .normalize()
                .startsWith(runDir.toAbsolutePath().normalize());
    }
}
