package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestAccounts;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import io.imginject.worker.guest.UnsafePathException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Adds an SSH key to root's {@code /root/.ssh/authorized_keys}, unless the same key (type and body) is already
 * there. {@code .ssh} ends up 0700 and the file 0600, both owned by root's ids from the guest's passwd. Neither may
 * be a symlink: the item would otherwise chmod or write whatever the link points at.
 */
public final class KeyItem implements InjectionItem {
    static final GuestPath SSH_DIR = GuestPath.of("/root/.ssh");
    static final GuestPath AUTHORIZED_KEYS = GuestPath.of("/root/.ssh/authorized_keys");
    private static final int MAX_AUTHORIZED_KEYS_BYTES = 1 << 20;

    private final SshPublicKey key;

    public KeyItem(SshPublicKey key) {
        this.key = key;
    }

    @Override
    public ItemName name() {
        return ItemName.KEY;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        GuestAccounts.Account root = GuestAccounts.root(guest);
        Optional<FileStat> dir = guest.stat(SSH_DIR);
        if (dir.isEmpty()) {
            guest.mkdirs(SSH_DIR, 0700, root.uid(), root.gid());
        } else {
            refuseSymlinkOrWrongType(SSH_DIR, dir.get(), FileStat.Type.DIRECTORY);
            ensure(guest, SSH_DIR, dir.get(), 0700, root);
        }
        Optional<FileStat> file = guest.stat(AUTHORIZED_KEYS);
        byte[] existing = new byte[0];
        if (file.isPresent()) {
            refuseSymlinkOrWrongType(AUTHORIZED_KEYS, file.get(), FileStat.Type.REGULAR);
            existing = guest.read(AUTHORIZED_KEYS, MAX_AUTHORIZED_KEYS_BYTES).orElseThrow();
        }
        // key types and bodies are ASCII; ISO-8859-1 reads every other byte without changing it
        if (new String(existing, StandardCharsets.ISO_8859_1).lines().flatMap(line -> SshPublicKey.parseExisting(line).stream()).anyMatch(key::sameKeyAs)) {
            ensure(guest, AUTHORIZED_KEYS, file.orElseThrow(), 0600, root);
            return ItemResult.ok("key already present in " + AUTHORIZED_KEYS + "; nothing added");
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes(existing);
        if (existing.length > 0 && existing[existing.length - 1] != '\n') {
            content.write('\n');
        }
        content.writeBytes((key.line() + "\n").getBytes(StandardCharsets.UTF_8));
        guest.writeFile(AUTHORIZED_KEYS, content.toByteArray(), 0600, root.uid(), root.gid());
        return ItemResult.ok("key added to " + AUTHORIZED_KEYS);
    }

    private static void refuseSymlinkOrWrongType(GuestPath path, FileStat stat, FileStat.Type expected) {
        if (stat.isSymlink()) {
            throw new UnsafePathException(path, "is " + stat.describe() + "; refusing to follow it");
        }
        if (stat.type() != expected) {
            throw new InjectException(ErrorCode.GUEST_CONTENT_INVALID, path + " is " + stat.describe()
                    + (expected == FileStat.Type.DIRECTORY ? ", not a directory" : ", not a regular file"));
        }
    }

    /** Sets mode and owner only where they differ, so a repeated job writes nothing. */
    private static void ensure(GuestFs guest, GuestPath path, FileStat stat, int mode, GuestAccounts.Account owner) {
        if (stat.uid() != owner.uid() || stat.gid() != owner.gid()) {
            guest.setOwner(path, owner.uid(), owner.gid());
        }
        if (stat.mode() != mode) {
            guest.setMode(path, mode);
        }
    }
}
