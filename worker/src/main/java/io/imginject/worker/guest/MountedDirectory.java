package io.imginject.worker.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A guest filesystem mounted on a host directory. Every operation refuses to follow a symlink at its end
 * ({@code NOFOLLOW_LINKS}, {@code lchown}, {@code O_NOFOLLOW}); the resolver has already made sure no symlink lies
 * on the way.
 */
public final class MountedDirectory implements GuestNodes {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private final Path root;

    /** @param root the host directory the guest filesystem is mounted on */
    public MountedDirectory(Path root) {
        this.root = root;
    }

    /** The guest filesystem mounted at {@code root}. */
    public static GuestFs guestAt(Path root) {
        return new ResolvingGuestFs(new MountedDirectory(root));
    }

    @Override
    public Optional<FileStat> lstat(String path) throws IOException {
        Path host = host(path);
        try {
            Map<String, Object> attributes =
                    Files.readAttributes(host, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attributes.get("mode");
            FileStat.Type type = switch (mode & S_IFMT) {
                case S_IFREG -> FileStat.Type.REGULAR;
                case S_IFDIR -> FileStat.Type.DIRECTORY;
                case S_IFLNK -> FileStat.Type.SYMLINK;
                default -> FileStat.Type.OTHER;
            };
            Optional<String> target = type == FileStat.Type.SYMLINK
                    ? Optional.of(Files.readSymbolicLink(host).toString())
                    : Optional.empty();
            return Optional.of(new FileStat(
                    type,
                    mode & 07777,
                    Integer.toUnsignedLong((Integer) attributes.get("uid")),
                    Integer.toUnsignedLong((Integer) attributes.get("gid")),
                    (Long) attributes.get("size"),
                    target));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public List<String> list(String path, int maxEntries) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(host(path))) {
            for (Path entry : entries) {
                if (names.size() == maxEntries) {
                    throw new IOException("it has more than " + maxEntries + " entries");
                }
                names.add(entry.getFileName().toString());
            }
        } catch (IOException e) {
            throw reason(e);
        }
        return names;
    }

    @Override
    public byte[] readFile(String path, int maxBytes) throws IOException {
        try (SeekableByteChannel channel =
                Files.newByteChannel(host(path), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate(maxBytes + 1);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read until full or at the end
            }
            if (!buffer.hasRemaining()) {
                throw new IOException("the file grew past " + maxBytes + " bytes while being read");
            }
            byte[] content = new byte[buffer.position()];
            buffer.flip().get(content);
            return content;
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public void mkdir(String path) throws IOException {
        try {
            Files.createDirectory(host(path));
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public void createFile(String path, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(
                host(path),
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public void chown(String path, long uid, long gid) throws IOException {
        try {
            Files.setAttribute(host(path), "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(host(path), "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        try {
            Files.setAttribute(host(path), "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        try {
            Files.move(host(from), host(to), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw reason(e);
        }
    }

    @Override
    public void deleteIfExists(String path) throws IOException {
        try {
            Files.deleteIfExists(host(path));
        } catch (IOException e) {
            throw reason(e);
        }
    }

    /** The host path of a resolved guest path: built from its names only, so it stays under the mount. */
    private Path host(String path) {
        Path host = root;
        for (String name : path.split("/", -1)) {
            if (name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("unresolved guest path " + path);
            }
            if (!name.isEmpty()) {
                host = host.resolve(name);
            }
        }
        return host;
    }

    /** The failure without the host path, which means nothing to the requester. */
    private static IOException reason(IOException e) {
        String reason = e instanceof FileSystemException fse && fse.getReason() != null
                ? fse.getReason()
                : e.getClass().getSimpleName();
        return FilesystemFailureException.isFilesystemFailure(reason)
                ? new FilesystemFailureException(reason, e)
                : new IOException(reason, e);
    }
}
