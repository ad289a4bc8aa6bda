package io.imginject.worker.image;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's word on which images the host kernel may parse: those whose every file (the image and its whole
 * backing chain) lies, as the worker holds it open, under an image root the operator marked trusted. Every other
 * image is a tenant's, whose filesystem only a userspace driver or the guestfs appliance may read. Nothing in a
 * request can change what is trusted.
 */
public final class ImageTrust {
    private final List<Path> trustedRoots;

    /** @param trustedRoots the trusted image roots; each must exist */
    public ImageTrust(List<Path> trustedRoots) {
        List<Path> real = new ArrayList<>();
        for (Path root : trustedRoots) {
            try {
                real.add(root.toRealPath());
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "trusted image root " + root + " does not exist or cannot be read: " + e.getMessage(), e);
            }
        }
        this.trustedRoots = List.copyOf(real);
    }

    /** Trusts no image: every filesystem is read outside the host kernel. */
    public static ImageTrust none() {
        return new ImageTrust(List.of());
    }

    /** Whether the host kernel may mount {@code image}'s filesystems. */
    public boolean trusts(DiskImage image) {
        return image.files().stream().allMatch(this::isTrusted);
    }

    /** Whether {@code file} lies under a trusted root; a file whose place cannot be told is not trusted. */
    private boolean isTrusted(HeldImageFile file) {
        Path current;
        try {
            current = file.currentPath();
        } catch (IOException e) {
            return false;
        }
        return trustedRoots.stream().anyMatch(root -> current.startsWith(root) && !current.equals(root));
    }

    /** The trusted roots, as the worker resolved them. */
    public List<Path> roots() {
        return trustedRoots;
    }
}
