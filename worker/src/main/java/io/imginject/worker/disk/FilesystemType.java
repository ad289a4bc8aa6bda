package io.imginject.worker.disk;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The filesystems the worker mounts on the host: an allow-list, so a hostile image can only reach these kernel
 * drivers (on a trusted image) or fuse2fs (on any other), and always with an explicit {@code -t}, never letting
 * mount guess.
 */
@SuppressWarnings("ImmutableEnumChecker") // the option lists are List.of, which cannot change
public enum FilesystemType {
    /**
     * errors=remount-ro overrides what the image's superblock says: errors=panic there would let the image's first
     * filesystem error take down the host and every VM on it.
     */
    EXT2("ext2", List.of("errors=remount-ro"), List.of("noload"), true),
    EXT3("ext3", List.of("errors=remount-ro"), List.of("noload"), true),
    EXT4("ext4", List.of("errors=remount-ro"), List.of("noload"), true),
    /** nouuid: clones of one base image share a UUID, and XFS refuses a second mount of it otherwise. */
    XFS("xfs", List.of("nouuid"), List.of("norecovery"), false),
    BTRFS("btrfs", List.of(), List.of("rescue=nologreplay"), false);

    private final String name;
    private final List<String> options;
    private final List<String> readOnlyOptions;
    private final boolean fuse2fsReads;

    FilesystemType(String name, List<String> options, List<String> readOnlyOptions, boolean fuse2fsReads) {
        this.name = name;
        this.options = options;
        this.readOnlyOptions = readOnlyOptions;
        this.fuse2fsReads = fuse2fsReads;
    }

    /** Whether fuse2fs, the userspace driver, reads this type; for the others only the kernel or guestfs can. */
    public boolean fuse2fsReads() {
        return fuse2fsReads;
    }

    /** The type name for {@code mount -t} and as blkid reports it. */
    public String typeName() {
        return name;
    }

    /** Mount options beyond nosuid,nodev,noexec that this type needs. */
    public List<String> options() {
        return options;
    }

    /** Options that keep a read-only look from writing anything, such as replaying a journal. */
    public List<String> readOnlyOptions() {
        return readOnlyOptions;
    }

    public static Optional<FilesystemType> fromTypeName(String name) {
        return Arrays.stream(values()).filter(t -> t.name.equals(name)).findFirst();
    }

    public static String allNames() {
        return Arrays.stream(values()).map(FilesystemType::typeName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return name;
    }
}
