package io.imginject.worker.cli;

import io.imginject.worker.handler.fuse.Fuse2fsSupport;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** What {@code doctor} says of the trust policy, and of what loop and nbd do under it. */
final class TrustPolicyText {
    private TrustPolicyText() {}

    /** The policy the trusted image roots make. */
    static String policy(List<Path> trustedRoots) {
        if (trustedRoots.isEmpty()) {
            return "no image root is trusted: the host kernel mounts no image's filesystem";
        }
        return "the host kernel may mount images under "
                + trustedRoots.stream().map(Path::toString).collect(Collectors.joining(", "))
                + "; every other image is untrusted";
    }

    /** What loop and nbd do with the filesystems of trusted and untrusted images, given fuse2fs's state here. */
    static String mounting(Fuse2fsSupport fuse2fs) {
        String untrusted = fuse2fs.problem().isEmpty()
                ? "untrusted: ext2/3/4 read by fuse2fs, xfs and btrfs refused (kernel_mount_refused, left to guestfs)"
                : "untrusted: skipped, fuse2fs cannot run (left to guestfs)";
        return "trusted: the host kernel mounts; " + untrusted;
    }
}
