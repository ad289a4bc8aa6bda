package io.imginject.worker.handler.nbd;

import io.imginject.worker.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Which nbd transport this host can use, and why not when it can use none. */
public final class NbdSupport {
    private static final Path FUSE_DEVICE = Path.of("/dev/fuse");
    private static final Path SYS_NBD0 = Path.of("/sys/block/nbd0");

    private NbdSupport() {}

    /** The transport {@code wanted} resolves to on this host, or why there is none. */
    static Choice choose(NbdSettings.Transport wanted, boolean kernelHasNbd) {
        if (!HostTools.isRoot()) {
            return Choice.none("nbd needs root (loop devices and mounts need CAP_SYS_ADMIN)");
        }
        List<String> missing = HostTools.missing("qemu-nbd", "losetup", "mount", "umount", "blkid");
        if (!missing.isEmpty()) {
            return Choice.none("nbd needs " + String.join(", ", missing) + " (Debian: qemu-utils, util-linux, mount)");
        }
        if (wanted == NbdSettings.Transport.KERNEL || (wanted == NbdSettings.Transport.AUTO && kernelHasNbd)) {
            return kernelHasNbd
                    ? Choice.of(NbdSettings.Transport.KERNEL)
                    : Choice.none(
                            "the kernel transport was configured, but the kernel has no nbd module (no /sys/block/nbd0)");
        }
        List<String> userspaceMissing = HostTools.missing("nbdfuse", "fusermount3");
        if (!userspaceMissing.isEmpty()) {
            return Choice.none("the kernel has no nbd module and the userspace transport needs "
                    + String.join(", ", userspaceMissing) + " (Debian: libnbd-bin, fuse3)");
        }
        if (!Files.exists(FUSE_DEVICE)) {
            return Choice.none("the kernel has no nbd module and no FUSE (" + FUSE_DEVICE + " is missing)");
        }
        return Choice.of(NbdSettings.Transport.USERSPACE);
    }

    /** What keeps nbd from working on this host with {@code settings}, or empty if nothing does. */
    public static Optional<String> problem(NbdSettings settings) {
        return choose(settings.transport(), Files.isDirectory(SYS_NBD0)).problem();
    }

    /** Which transport {@code settings} gives on this host, for people; only meaningful without a problem. */
    public static String describe(NbdSettings settings) {
        boolean kernel = Files.isDirectory(SYS_NBD0);
        return choose(settings.transport(), kernel)
                .transport()
                .map(t -> t == NbdSettings.Transport.KERNEL
                        ? "kernel transport (qemu-nbd --connect to /dev/nbdN)"
                        : "userspace transport (qemu-nbd on a unix socket, nbdfuse"
                                + (kernel ? ")" : "; the kernel has no nbd module)"))
                .orElse("");
    }

    /** A transport, or the reason there is none. */
    record Choice(Optional<NbdSettings.Transport> transport, Optional<String> problem) {
        static Choice of(NbdSettings.Transport transport) {
            return new Choice(Optional.of(transport), Optional.empty());
        }

        static Choice none(String why) {
            return new Choice(Optional.empty(), Optional.of(why));
        }
    }
}
