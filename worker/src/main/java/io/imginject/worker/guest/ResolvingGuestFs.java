package io.imginject.worker.guest;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The one implementation of the {@link GuestFs} rules, over the primitives of a {@link GuestNodes}: a filesystem
 * mounted on the host, or one inside the libguestfs appliance. Every path is walked by {@link SymlinkResolver} as if
 * the guest root were {@code /}, so on the host the kernel is never asked to follow a symlink and no path leaves
 * the mount (nova's CVE-2012-3360, -3361 and -3447); and every handler gives the same results and refusals.
 *
 * <p>The walk and the operation that follows are not one atomic step, as openat2's RESOLVE_IN_ROOT would be; that is
 * safe because a host mount is private to the job (a 0700 directory) and nothing else writes to it.
 */
public final class ResolvingGuestFs implements GuestFs {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final GuestNodes nodes;

    public ResolvingGuestFs(GuestNodes nodes) {
        this.nodes = nodes;
    }

    @Override
    public Optional<FileStat> stat(GuestPath path) {
        return lstat(path, resolve(path, false));
    }

    @Override
    public Optional<byte[]> read(GuestPath path, int maxBytes) {
        String resolved = resolve(path, true);
        Optional<FileStat> stat = lstat(path, resolved);
        if (stat.isEmpty()) {
            return Optional.empty();
        }
        if (!stat.get().isRegularFile()) {
            throw new UnsafePathException(path, "is " + stat.get().describe() + "; only regular files are read");
        }
        if (stat.get().size() > maxBytes) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    path + " is " + stat.get().size() + " bytes, more than the " + maxBytes + " this item reads");
        }
        try {
            return Optional.of(nodes.readFile(resolved, maxBytes));
        } catch (IOException e) {
            throw ioError("reading", path, e);
        }
    }

    @Override
    public void mkdirs(GuestPath path, int mode, long uid, long gid) {
        List<String> names = SymlinkResolver.resolve(path, true, this::lookup);
        for (int depth = 1; depth <= names.size(); depth++) {
            String directory = SymlinkResolver.join(names.subList(0, depth));
            Optional<FileStat> stat = lstat(path, directory);
            if (stat.isEmpty()) {
                try {
                    nodes.mkdir(directory);
                    nodes.chown(directory, uid, gid);
                    nodes.chmod(directory, mode);
                } catch (IOException e) {
                    throw ioError("creating the directories of", path, e);
                }
            } else if (!stat.get().isDirectory()) {
                throw new UnsafePathException(
                        path,
                        "cannot be made a directory: " + directory + " is "
                                + stat.get().describe());
            }
        }
    }

    @Override
    public void writeFile(GuestPath path, byte[] content, int mode, long uid, long gid) {
        List<String> names = SymlinkResolver.resolve(path, false, this::lookup);
        String file = SymlinkResolver.join(names);
        String parent = SymlinkResolver.join(names.subList(0, names.size() - 1));
        Optional<FileStat> parentStat = lstat(path, parent);
        if (parentStat.isEmpty() || !parentStat.get().isDirectory()) {
            throw new InjectException(ErrorCode.GUEST_IO_ERROR, "the directory for " + path + " does not exist");
        }
        Optional<FileStat> existing = lstat(path, file);
        if (existing.isPresent() && !existing.get().isRegularFile()) {
            throw new UnsafePathException(
                    path, "is " + existing.get().describe() + "; refusing to replace it with a file");
        }
        String temporary = (parent.equals("/") ? "" : parent) + "/.imginject-"
                + HexFormat.of().formatHex(randomBytes()) + ".tmp";
        try {
            nodes.createFile(temporary, content);
            nodes.chown(temporary, uid, gid);
            nodes.chmod(temporary, mode);
            nodes.rename(temporary, file);
        } catch (IOException e) {
            try {
                nodes.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw ioError("writing", path, e);
        }
    }

    @Override
    public void setMode(GuestPath path, int mode) {
        String resolved = existingNonSymlink(path);
        try {
            nodes.chmod(resolved, mode);
        } catch (IOException e) {
            throw ioError("setting the mode of", path, e);
        }
    }

    @Override
    public void setOwner(GuestPath path, long uid, long gid) {
        String resolved = existingNonSymlink(path);
        try {
            nodes.chown(resolved, uid, gid);
        } catch (IOException e) {
            throw ioError("setting the owner of", path, e);
        }
    }

    @Override
    public List<String> list(GuestPath path, int maxEntries) {
        Optional<String> directory = directory(path);
        if (directory.isEmpty()) {
            return List.of();
        }
        try {
            return nodes.list(directory.get(), maxEntries).stream().sorted().toList();
        } catch (IOException e) {
            throw ioError("listing", path, e);
        }
    }

    /**
     * Where the directory at {@code path} is, as a guest path without symlinks (those on the way, and one at the
     * end, followed inside the guest); empty if no directory is there.
     */
    public Optional<String> directory(GuestPath path) {
        String resolved = resolve(path, true);
        return lstat(path, resolved).filter(FileStat::isDirectory).map(stat -> resolved);
    }

    private String existingNonSymlink(GuestPath path) {
        String resolved = resolve(path, false);
        FileStat stat = lstat(path, resolved)
                .orElseThrow(() -> new InjectException(ErrorCode.GUEST_IO_ERROR, path + " does not exist"));
        if (stat.isSymlink()) {
            throw new UnsafePathException(path, "is " + stat.describe() + "; refusing to change it through the link");
        }
        return resolved;
    }

    private String resolve(GuestPath path, boolean followLast) {
        return SymlinkResolver.join(SymlinkResolver.resolve(path, followLast, this::lookup));
    }

    private Optional<FileStat> lookup(List<String> names) {
        try {
            return nodes.lstat(SymlinkResolver.join(names));
        } catch (IOException e) {
            throw new InjectException(
                    codeOf(e), "looking up " + SymlinkResolver.join(names) + " failed: " + e.getMessage(), e);
        }
    }

    private Optional<FileStat> lstat(GuestPath path, String resolved) {
        try {
            return nodes.lstat(resolved);
        } catch (IOException e) {
            throw ioError("looking up", path, e);
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static InjectException ioError(String doing, GuestPath path, IOException e) {
        return new InjectException(codeOf(e), doing + " " + path + " failed: " + e.getMessage(), e);
    }

    private static ErrorCode codeOf(IOException e) {
        return e instanceof FilesystemFailureException ? ErrorCode.FILESYSTEM_ERROR : ErrorCode.GUEST_IO_ERROR;
    }
}
