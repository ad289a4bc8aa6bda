package io.imginject.worker.image;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A file of an image (the image itself or a file of its backing chain) that the worker opened once, without
 * following a symlink, and holds open for the whole job. Every tool is given {@link #toolPath()}, a
 * {@code /proc/<pid>/fd/N} link to this very open file, never the file's name: a file renamed over the image's path
 * after it was vetted is never read, mounted or written.
 */
public final class HeldImageFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final Path toolPath;

    private HeldImageFile(Path path, FileChannel channel, Path toolPath) {
        this.path = path;
        this.channel = channel;
        this.toolPath = toolPath;
    }

    /**
     * Opens the file at {@code path} (a real path: a symlink there is refused), for reading and writing if it can be
     * written: a fifo opened so never blocks, where one opened for reading waits for a writer.
     *
     * @param writable whether the job writes the file; if not, a file that cannot be written is opened for reading
     */
    public static HeldImageFile open(Path path, boolean writable) {
        FileChannel channel = openChannel(path, writable);
        try {
            int number = FileDescriptorNumber.of(channel)
                    .orElseThrow(() -> new IOException("its descriptor is not in /proc/self/fdinfo"));
            return new HeldImageFile(
                    path,
                    channel,
                    Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(number)));
        } catch (IOException | RuntimeException e) {
            closeAfter(channel, e);
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR, "could not hold " + path + " open: " + e.getMessage(), e);
        }
    }

    private static FileChannel openChannel(Path path, boolean writable) {
        try {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (AccessDeniedException e) {
            return writable ? failed(path, e) : openForReading(path);
        } catch (FileSystemException e) {
            if (!writable && String.valueOf(e.getReason()).contains("Read-only file system")) {
                return openForReading(path);
            }
            return failed(path, e);
        } catch (IOException e) {
            return failed(path, e);
        }
    }

    private static FileChannel openForReading(Path path) {
        try {
            return FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return failed(path, e);
        }
    }

    private static FileChannel failed(Path path, IOException e) {
        if (e instanceof FileSystemException fs
                && String.valueOf(fs.getReason()).contains("symbolic link")) {
            throw new InjectException(
                    ErrorCode.IMAGE_NOT_FOUND,
                    path + " was replaced by a symlink while the worker opened it; nothing was touched");
        }
        if (e instanceof NoSuchFileException) {
            throw new InjectException(
                    ErrorCode.IMAGE_NOT_FOUND, path + " was removed while the worker opened it; nothing was touched");
        }
        throw new InjectException(ErrorCode.IMAGE_CORRUPT, "could not open " + path + ": " + e.getMessage(), e);
    }

    private static void closeAfter(FileChannel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException closing) {
            failure.addSuppressed(closing);
        }
    }

    /** The path the file was opened at, for messages and for resolving names relative to it. */
    public Path path() {
        return path;
    }

    /** The path to give every tool and every read: the open file itself, whatever has since been renamed where. */
    public Path toolPath() {
        return toolPath;
    }

    /** The open file, for reading its header and taking locks on it. */
    public FileChannel channel() {
        return channel;
    }

    /** Where the open file lies now, as the kernel names it. */
    Path currentPath() throws IOException {
        return Files.readSymbolicLink(toolPath);
    }

    /** The open file's own attributes (not those of whatever now has its name). */
    BasicFileAttributes attributes() throws IOException {
        return Files.readAttributes(toolPath, BasicFileAttributes.class);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new InjectException(ErrorCode.CLEANUP_FAILED, "could not close " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
