package io.imginject.worker.guest;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The primitive operations a guest filesystem offers, on paths already resolved by {@link ResolvingGuestFs}: every
 * directory on the way is a real directory, never a symlink. Paths are absolute guest paths such as
 * {@code /root/.ssh}. Failures are {@link IOException}s whose message is the reason alone (no host paths).
 */
public interface GuestNodes {

    /** What is at {@code path}, not following a symlink there; empty if nothing is. */
    Optional<FileStat> lstat(String path) throws IOException;

    /** The content of the regular file at {@code path}, which holds at most {@code maxBytes}. */
    byte[] readFile(String path, int maxBytes) throws IOException;

    /** The names of the entries of the directory at {@code path}, in no order, at most {@code maxEntries}. */
    List<String> list(String path, int maxEntries) throws IOException;

    void mkdir(String path) throws IOException;

    /** Creates a new file that must not exist yet, readable only by its owner, holding {@code content}. */
    void createFile(String path, byte[] content) throws IOException;

    /** Changes the owner of {@code path} itself, not of what a symlink there points to. */
    void chown(String path, long uid, long gid) throws IOException;

    /** Sets all mode bits, setuid, setgid and sticky included, of {@code path}, which is not a symlink. */
    void chmod(String path, int mode) throws IOException;

    /** Renames {@code from} to {@code to} atomically, replacing a file at {@code to}. */
    void rename(String from, String to) throws IOException;

    /** Removes the file at {@code path} if there is one. */
    void deleteIfExists(String path) throws IOException;
}
