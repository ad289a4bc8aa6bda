package io.imginject.worker.item;

import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.util.List;
import java.util.Optional;

/** A {@link GuestFs} that remembers whether anything was written through it. */
final class ChangeTrackingGuestFs implements GuestFs {
    private final GuestFs guest;
    private boolean changed;

    ChangeTrackingGuestFs(GuestFs guest) {
        this.guest = guest;
    }

    /** Whether anything was written since the last call, and starts counting afresh. */
    boolean takeChanged() {
        boolean result = changed;
        changed = false;
        return result;
    }

    @Override
    public Optional<FileStat> stat(GuestPath path) {
        return guest.stat(path);
    }

    @Override
    public Optional<byte[]> read(GuestPath path, int maxBytes) {
        return guest.read(path, maxBytes);
    }

    @Override
    public List<String> list(GuestPath path, int maxEntries) {
        return guest.list(path, maxEntries);
    }

    @Override
    public void mkdirs(GuestPath path, int mode, long uid, long gid) {
        guest.mkdirs(path, mode, uid, gid);
    }

    @Override
    public void writeFile(GuestPath path, byte[] content, int mode, long uid, long gid) {
        changed = true;
        guest.writeFile(path, content, mode, uid, gid);
    }

    @Override
    public void setMode(GuestPath path, int mode) {
        changed = true;
        guest.setMode(path, mode);
    }

    @Override
    public void setOwner(GuestPath path, long uid, long gid) {
        changed = true;
        guest.setOwner(path, uid, gid);
    }
}
