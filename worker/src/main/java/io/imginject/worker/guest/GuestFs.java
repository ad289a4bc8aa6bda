package io.imginject.worker.guest;

import io.imginject.worker.failure.InjectException;
import java.util.List;
import java.util.Optional;

/**
 * The only way injection items touch a guest. Paths are guest paths: whatever the implementation, a path can
 * never reach outside the guest.
 *
 * <p>The rules for symlinks inside the guest: directories on the way to a path are followed inside the guest
 * (absolute targets start at the guest root, {@code ..} stops at it). A symlink as the last component is
 * followed only by {@link #read} and {@link #mkdirs}; {@link #writeFile}, {@link #setMode} and {@link #setOwner}
 * refuse it with {@link UnsafePathException}, so the worker never writes, chmods or chowns a file it did not
 * mean to.
 *
 * <p>Failures are {@link InjectException}s: {@link UnsafePathException} for paths the worker
 * refuses, {@code GUEST_IO_ERROR} for I/O failures.
 */
public interface GuestFs {

    /** What is at {@code path}, not following a symlink at its end; empty if nothing is. */
    Optional<FileStat> stat(GuestPath path);

    /**
     * The content of the regular file at {@code path} (following symlinks inside the guest); empty if there is
     * no such file. A directory, device or a file larger than {@code maxBytes} is refused.
     */
    Optional<byte[]> read(GuestPath path, int maxBytes);

    /**
     * The names of the entries of the directory at {@code path} (following symlinks inside the guest), sorted;
     * empty if no directory is there. A directory of more than {@code maxEntries} entries is refused.
     */
    List<String> list(GuestPath path, int maxEntries);

    /**
     * Makes {@code path} and any missing parents directories, each new one with {@code mode}, {@code uid} and
     * {@code gid}. Existing directories, and symlinks to them, are left exactly as they are.
     */
    void mkdirs(GuestPath path, int mode, long uid, long gid);

    /**
     * Replaces the file at {@code path} with {@code content} atomically: readers see the old file or the new one,
     * never a mix. The parent directory must exist.
     */
    void writeFile(GuestPath path, byte[] content, int mode, long uid, long gid);

    /** Sets the permission bits, including setuid, setgid and sticky, of {@code path}. */
    void setMode(GuestPath path, int mode);

    void setOwner(GuestPath path, long uid, long gid);
}
