package io.imginject.worker.item;

import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.util.Arrays;
import java.util.Optional;

/** Writing a whole file the way every item does: parents created root-owned 0755, the file replaced atomically. */
final class GuestFiles {
    static final int NEW_DIRECTORY_MODE = 0755;
    static final int NEW_FILE_MODE = 0644;

    private GuestFiles() {}

    /**
     * Makes {@code path} hold {@code content}. Mode and owner are the given ones; where not given, an existing
     * file keeps its own, and a new file gets 0644 and root. A file that already holds exactly this is left
     * untouched, so a repeated job writes nothing.
     *
     * @return whether the guest changed
     */
    static boolean replace(
            GuestFs guest,
            GuestPath path,
            byte[] content,
            Optional<Integer> mode,
            Optional<Long> uid,
            Optional<Long> gid) {
        path.parent().ifPresent(parent -> guest.mkdirs(parent, NEW_DIRECTORY_MODE, 0, 0));
        Optional<FileStat> existing = guest.stat(path);
        int newMode = mode.orElse(existing.map(FileStat::mode).orElse(NEW_FILE_MODE));
        long newUid = uid.orElse(existing.map(FileStat::uid).orElse(0L));
        long newGid = gid.orElse(existing.map(FileStat::gid).orElse(0L));
        if (existing.isPresent() && holds(guest, path, existing.get(), content, newMode, newUid, newGid)) {
            return false;
        }
        guest.writeFile(path, content, newMode, newUid, newGid);
        return true;
    }

    /** Replaces {@code path}, keeping the mode and owner of an existing file. */
    static boolean replace(GuestFs guest, GuestPath path, byte[] content) {
        return replace(guest, path, content, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private static boolean holds(
            GuestFs guest, GuestPath path, FileStat stat, byte[] content, int mode, long uid, long gid) {
        return stat.isRegularFile()
                && stat.size() == content.length
                && stat.mode() == mode
                && stat.uid() == uid
                && stat.gid() == gid
                && Arrays.equals(guest.read(path, content.length).orElseThrow(), content);
    }
}
