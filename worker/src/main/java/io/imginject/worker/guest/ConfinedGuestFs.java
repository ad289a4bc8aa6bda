package io.imginject.worker.guest;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A guest filesystem mounted on a host directory, with every path resolved as if that directory were {@code /}.
 *
 * <p>The worker walks each path itself, one component at a time, reading symlinks with {@code lstat} and
 * {@code readlink} and never letting the kernel follow one: an absolute target restarts at the guest root,
 * {@code ..} stops at it, and the host path handed to the kernel is built only from names already checked to be
 * real directories. So no path, however hostile the image, leaves the mount (nova's CVE-2012-3360, -3361 and
 * -3447). The walk and the operation that follows are not one atomic step, as openat2's RESOLVE_IN_ROOT would be;
 * that is safe because the mount is private to the job (mode 0700 directory) and nothing else writes to it.
 */
public final class ConfinedGuestFs implements GuestFs {
    private static final int MAX_SYMLINKS = 40;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;

    /** @param root the host directory the guest filesystem is mounted on */
    public ConfinedGuestFs(Path root) {
        this.root = root;
    }

    @Override
    public Optional<FileStat> stat(GuestPath path) {
        return lstat(path, hostPath(resolve(path, false)));
    }

    @Override
    public Optional<byte[]> read(GuestPath path, int maxBytes) {
        Path host = hostPath(resolve(path, true));
        Optional<FileStat> stat = lstat(path, host);
        if (stat.isEmpty()) {
            return Optional.empty();
        }
        if (!stat.get().isRegularFile()) {
            throw new UnsafePathException(path, "is " + stat.get().describe() + "; only regular files are read");
        }
        if (stat.get().size() > maxBytes) {
            throw new InjectException(ErrorCode.GUEST_CONTENT_INVALID, path + " is " + stat.get().size()
                    + " bytes, more than the " + maxBytes + " this item reads");
        }
        try (SeekableByteChannel channel = Files.newByteChannel(host, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate(maxBytes + 1);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // keep reading until full or at the end
            }
            if (!buffer.hasRemaining()) {
                throw new InjectException(ErrorCode.GUEST_CONTENT_INVALID, path + " is larger than " + maxBytes + " bytes");
            }
            byte[] content = new byte[buffer.position()];
            buffer.flip().get(content);
            return Optional.of(content);
        } catch (IOException e) {
            throw ioError("reading", path, e);
        }
    }

    @Override
    public void mkdirs(GuestPath path, int mode, long uid, long gid) {
        List<String> names = resolve(path, true);
        for (int depth = 1; depth <= names.size(); depth++) {
            Path host = hostPath(names.subList(0, depth));
            Optional<FileStat> stat = lstat(path, host);
            if (stat.isEmpty()) {
                try {
                    Files.createDirectory(host);
                } catch (IOException e) {
                    throw ioError("creating a directory for", path, e);
                }
                changeOwner(path, host, uid, gid);
                changeMode(path, host, mode);
            } else if (!stat.get().isDirectory()) {
                throw new UnsafePathException(path, "cannot be made a directory: /" + String.join("/", names.subList(0, depth))
                        + " is " + stat.get().describe());
            }
        }
    }

    @Override
    public void writeFile(GuestPath path, byte[] content, int mode, long uid, long gid) {
        Path host = hostPath(resolve(path, false));
        Optional<FileStat> parent = lstat(path, host.getParent());
        if (parent.isEmpty() || !parent.get().isDirectory()) {
            throw new InjectException(ErrorCode.GUEST_IO_ERROR, "the directory for " + path + " does not exist");
        }
        Optional<FileStat> existing = lstat(path, host);
        if (existing.isPresent() && !existing.get().isRegularFile()) {
            throw new UnsafePathException(path, "is " + existing.get().describe() + "; refusing to replace it with a file");
        }
        Path temporary = host.resolveSibling(".imginject-" + HexFormat.of().formatHex(randomBytes()) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            changeOwner(path, temporary, uid, gid);
            changeMode(path, temporary, mode);
            Files.move(temporary, host, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ioError("writing", path, e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // the temporary file is gone with the rename or was never made; nothing else to do
            }
        }
    }

    @Override
    public void setMode(GuestPath path, int mode) {
        changeMode(path, existingNonSymlink(path), mode);
    }

    @Override
    public void setOwner(GuestPath path, long uid, long gid) {
        changeOwner(path, existingNonSymlink(path), uid, gid);
    }

    private Path existingNonSymlink(GuestPath path) {
        Path host = hostPath(resolve(path, false));
        FileStat stat = lstat(path, host).orElseThrow(() ->
                new InjectException(ErrorCode.GUEST_IO_ERROR, path + " does not exist"));
        if (stat.isSymlink()) {
            throw new UnsafePathException(path, "is " + stat.describe() + "; refusing to change it through the link");
        }
        return host;
    }

    /**
     * The names of the real directories and final name that {@code path} leads to inside the guest. Symlinks on
     * the way are followed inside the guest; the last one only if {@code followLast}. Missing components are kept
     * as they are, so the result also names what does not exist yet.
     */
    private List<String> resolve(GuestPath path, boolean followLast) {
        Deque<String> pending = new ArrayDeque<>(path.names());
        List<String> resolved = new ArrayList<>();
        int symlinks = 0;
        while (!pending.isEmpty()) {
            String name = pending.removeFirst();
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (!resolved.isEmpty()) {
                    resolved.remove(resolved.size() - 1);
                }
                continue;
            }
            boolean last = pending.isEmpty();
            Path host = hostPath(resolved).resolve(name);
            Optional<FileStat> stat = lstat(path, host);
            if (stat.isPresent() && stat.get().isSymlink() && (!last || followLast)) {
                if (++symlinks > MAX_SYMLINKS) {
                    throw new UnsafePathException(path, "crosses more than " + MAX_SYMLINKS + " symlinks (a symlink loop?)");
                }
                String target = stat.get().linkTarget().orElse("");
                if (target.isEmpty()) {
                    throw new UnsafePathException(path, "crosses an empty symlink");
                }
                if (target.startsWith("/")) {
                    resolved.clear();
                }
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    pending.addFirst(parts[i]);
                }
                continue;
            }
            if (stat.isPresent() && !last && !stat.get().isDirectory()) {
                throw new UnsafePathException(path, "runs through /" + String.join("/", resolved)
                        + (resolved.isEmpty() ? "" : "/") + name + ", which is " + stat.get().describe() + ", not a directory");
            }
            resolved.add(name);
        }
        return resolved;
    }

    private Path hostPath(List<String> names) {
        Path host = root;
        for (String name : names) {
            host = host.resolve(name);
        }
        return host;
    }

    private Optional<FileStat> lstat(GuestPath path, Path host) {
        try {
            Map<String, Object> attributes = Files.readAttributes(host, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attributes.get("mode");
            FileStat.Type type = switch (mode & S_IFMT) {
                case S_IFREG -> FileStat.Type.REGULAR;
                case S_IFDIR -> FileStat.Type.DIRECTORY;
                case S_IFLNK -> FileStat.Type.SYMLINK;
                default -> FileStat.Type.OTHER;
            };
            Optional<String> target = type == FileStat.Type.SYMLINK
                    ? Optional.of(Files.readSymbolicLink(host).toString()) : Optional.empty();
            return Optional.of(new FileStat(type, mode & 07777, Integer.toUnsignedLong((Integer) attributes.get("uid")),
                    Integer.toUnsignedLong((Integer) attributes.get("gid")), (Long) attributes.get("size"), target));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw ioError("looking up", path, e);
        }
    }

    private static void changeMode(GuestPath path, Path host, int mode) {
        try {
            Files.setAttribute(host, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw ioError("setting the mode of", path, e);
        }
    }

    private static void changeOwner(GuestPath path, Path host, long uid, long gid) {
        try {
            Files.setAttribute(host, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(host, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw ioError("setting the owner of", path, e);
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** An I/O failure, described by guest path and reason only: host mount paths mean nothing to the requester. */
    private static InjectException ioError(String doing, GuestPath path, IOException e) {
        String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getClass().getSimpleName();
        return new InjectException(ErrorCode.GUEST_IO_ERROR, doing + " " + path + " failed: " + reason, e);
    }
}
