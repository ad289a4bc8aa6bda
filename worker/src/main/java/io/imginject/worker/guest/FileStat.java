package io.imginject.worker.guest;

import java.util.Optional;

/**
 * What a guest path is, without following a symlink at its end.
 *
 * @param type regular file, directory, symlink or other (device, fifo, socket)
 * @param mode permission bits including setuid, setgid and sticky
 * @param uid owner
 * @param gid group
 * @param size size in bytes
 * @param linkTarget for a symlink, where it points (as stored in the guest)
 */
public record FileStat(Type type, int mode, long uid, long gid, long size, Optional<String> linkTarget) {

    public enum Type {
        REGULAR,
        DIRECTORY,
        SYMLINK,
        OTHER
    }

    public boolean isRegularFile() {
        return type == Type.REGULAR;
    }

    public boolean isDirectory() {
        return type == Type.DIRECTORY;
    }

    public boolean isSymlink() {
        return type == Type.SYMLINK;
    }

    /** "a symlink to /x", "a directory", ..., for messages. */
    public String describe() {
        return switch (type) {
            case REGULAR -> "a regular file";
            case DIRECTORY -> "a directory";
            case SYMLINK -> "a symlink to " + linkTarget.orElse("?");
            case OTHER -> "a device, fifo or socket";
        };
    }
}
