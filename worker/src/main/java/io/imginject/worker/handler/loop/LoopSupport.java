package io.imginject.worker.handler.loop;

import io.imginject.worker.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Whether this host can attach and mount loop devices, and if not, why. */
public final class LoopSupport {
    private static final Path LOOP_CONTROL = Path.of("/dev/loop-control");

    private LoopSupport() {}

    /** What keeps the loop handler from working here, or empty if nothing does. */
    public static Optional<String> problem() {
        if (!HostTools.isRoot()) {
            return Optional.of("loop needs root (attaching loop devices and mounting need CAP_SYS_ADMIN)");
        }
        List<String> missing = HostTools.missing("losetup", "mount", "umount", "blkid");
        if (!missing.isEmpty()) {
            return Optional.of("loop needs " + String.join(", ", missing) + " (Debian: util-linux, mount)");
        }
        if (!Files.exists(LOOP_CONTROL)) {
            return Optional.of("the kernel has no loop device support (" + LOOP_CONTROL + " is missing)");
        }
        return Optional.empty();
    }
}
