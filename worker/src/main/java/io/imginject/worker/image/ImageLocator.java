package io.imginject.worker.image;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Admits only images that lie under the worker's image roots: the requested path must be under a root as
 * written, and again once symlinks are resolved, and must then be a regular file (not a block device, fifo or
 * directory). Paths outside the roots are refused before anything is looked up there, so a request cannot probe
 * which host files exist.
 */
public final class ImageLocator {
    private final List<Path> roots;
    private final List<Path> realRoots;

    /** @param roots the image root directories; each must exist */
    public ImageLocator(List<Path> roots) {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("at least one image root is needed");
        }
        List<Path> real = new ArrayList<>();
        for (Path root : roots) {
            try {
                real.add(root.toRealPath());
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "image root " + root + " does not exist or cannot be read: " + e.getMessage(), e);
            }
        }
        this.roots = roots.stream().map(r -> r.toAbsolutePath().normalize()).toList();
        this.realRoots = List.copyOf(real);
    }

    /** The real path of the image at {@code requested}, once it has passed every check. */
    private Path locate(String requested) {
        Path path = Path.of(requested).normalize();
        if (!path.isAbsolute() || (!under(roots, path) && !under(realRoots, path))) {
            throw outside(requested, "");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new InjectException(ErrorCode.IMAGE_NOT_FOUND, "no image exists at " + requested);
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_NOT_FOUND,
                    requested + " cannot be resolved (a dangling symlink?): " + e.getMessage());
        }
        if (!under(realRoots, real)) {
            throw outside(requested, ", which resolves to " + real);
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new InjectException(
                    ErrorCode.IMAGE_NOT_REGULAR_FILE,
                    requested + " is not a regular file"
                            + (Files.isDirectory(real) ? " but a directory" : " (a device, fifo or socket)"));
        }
        return real;
    }

    /**
     * Locates the image at {@code requested} and opens it, checking that the file opened is still a regular file under
     * an image root: between the two, a directory on the way or the file itself may have been swapped.
     *
     * @param writable whether the job writes the file (see {@link HeldImageFile#open})
     */
    public HeldImageFile open(String requested, boolean writable) {
        HeldImageFile file = HeldImageFile.open(locate(requested), writable);
        try {
            Path opened = file.currentPath();
            if (!under(realRoots, opened)) {
                throw outside(requested, ", which was swapped while the worker opened it for " + opened + ",");
            }
            if (!file.attributes().isRegularFile()) {
                throw new InjectException(
                        ErrorCode.IMAGE_NOT_REGULAR_FILE,
                        requested + " was swapped for a file that is not regular "
                                + "(a directory, device, fifo or socket) while the worker opened it; nothing was touched");
            }
            return file;
        } catch (IOException e) {
            file.close();
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR, "could not check what the worker opened at " + requested + ": " + e, e);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static boolean under(List<Path> roots, Path path) {
        return roots.stream().anyMatch(root -> path.startsWith(root) && !path.equals(root));
    }

    private InjectException outside(String requested, String detail) {
        return new InjectException(
                ErrorCode.IMAGE_OUTSIDE_ROOTS,
                requested + detail + " is not under an image root of this worker ("
                        + roots.stream().map(Path::toString).collect(Collectors.joining(", ")) + ")");
    }
}
