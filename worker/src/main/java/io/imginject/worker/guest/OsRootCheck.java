package io.imginject.worker.guest;

import java.util.Optional;

/**
 * Whether a filesystem holds a Linux operating system root, by libguestfs's inspection rule, so that partition
 * -1 picks the same filesystem whichever handler opens the image: {@code /etc} is a directory, {@code /bin} is a
 * directory or a symlink, and {@code /etc/fstab} or {@code /etc/hosts} is a regular file.
 */
public final class OsRootCheck {
    private static final GuestPath ETC = GuestPath.of("/etc");
    private static final GuestPath BIN = GuestPath.of("/bin");
    private static final GuestPath FSTAB = GuestPath.of("/etc/fstab");
    private static final GuestPath HOSTS = GuestPath.of("/etc/hosts");

    private OsRootCheck() {}

    public static boolean isOsRoot(GuestFs guest) {
        return is(guest.stat(ETC), FileStat.Type.DIRECTORY)
                && (is(guest.stat(BIN), FileStat.Type.DIRECTORY) || is(guest.stat(BIN), FileStat.Type.SYMLINK))
                && (is(guest.stat(FSTAB), FileStat.Type.REGULAR) || is(guest.stat(HOSTS), FileStat.Type.REGULAR));
    }

    private static boolean is(Optional<FileStat> stat, FileStat.Type type) {
        return stat.map(s -> s.type() == type).orElse(false);
    }
}
