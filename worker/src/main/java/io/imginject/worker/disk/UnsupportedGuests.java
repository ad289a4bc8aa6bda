package io.imginject.worker.disk;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Filesystems that say the image holds an operating system the worker does not serve, by blkid's or libguestfs's
 * name of the filesystem or of the OS: a Windows disk is an {@code unsupported_guest}, not a mere unknown
 * filesystem.
 */
public final class UnsupportedGuests {
    private static final Map<String, String> BY_FILESYSTEM = Map.of(
            "ntfs", "Windows (an NTFS filesystem)",
            "refs", "Windows (a ReFS filesystem)",
            "hfsplus", "macOS (an HFS+ filesystem)",
            "apfs", "macOS (an APFS container)",
            "ufs", "a BSD (a UFS filesystem)",
            "zfs_member", "a ZFS pool (illumos, FreeBSD or Linux on ZFS)");
    private static final Map<String, String> BY_OS_TYPE = Map.of(
            "windows", "Windows",
            "freebsd", "FreeBSD",
            "netbsd", "NetBSD",
            "openbsd", "OpenBSD",
            "hurd", "GNU/Hurd",
            "minix", "MINIX",
            "dos", "DOS");

    private UnsupportedGuests() {}

    /** The guest a filesystem of blkid type {@code type} stands for, if it is one the worker does not serve. */
    public static Optional<String> byFilesystem(String type) {
        return Optional.ofNullable(BY_FILESYSTEM.get(type.toLowerCase(Locale.ROOT)));
    }

    /** The OS libguestfs's inspection type names, if it is one the worker does not serve. */
    public static Optional<String> byOsType(String type) {
        return Optional.ofNullable(BY_OS_TYPE.get(type.toLowerCase(Locale.ROOT)));
    }

    /** The message of an {@code unsupported_guest} failure. */
    public static String message(String found, String where) {
        return "the image holds " + found + " on " + where + "; this worker injects into Linux guests only";
    }
}
