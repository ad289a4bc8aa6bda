package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
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
 * A user's {@code ~/.ssh/authorized_keys}: {@code .ssh} 0700 and the file 0600, both owned by the user's ids from
 * the guest's passwd. Neither may be a symlink: the item would otherwise chmod or write whatever the link points at.
 * A key already there (same type and body) is not added again.
 */
final class AuthorizedKeys {
    private static final int MAX_AUTHORIZED_KEYS_BYTES = 1 << 20;

    private final GuestPath sshDir;
    private final GuestPath file;
    private final GuestAccounts.Account owner;

    AuthorizedKeys(GuestPath home, GuestAccounts.Account owner) {
        this.sshDir = home.resolve(".ssh");
        this.file = sshDir.resolve("authorized_keys");
        this.owner = owner;
    }

    GuestPath file() {
        return file;
    }

    /** Adds {@code key} unless it is there; returns whether it was added. */
    boolean add(GuestFs guest, SshPublicKey key) {
        Optional<FileStat> dir = guest.stat(sshDir);
        if (dir.isEmpty()) {
            guest.mkdirs(sshDir, 0700, owner.uid(), owner.gid());
        } else {
            refuseSymlinkOrWrongType(sshDir, dir.get(), FileStat.Type.DIRECTORY);
            ensure(guest, sshDir, dir.get(), 0700);
        }
        Optional<FileStat> stat = guest.stat(file);
        byte[] existing = new byte[0];
        if (stat.isPresent()) {
            refuseSymlinkOrWrongType(file, stat.get(), FileStat.Type.REGULAR);
            existing = guest.read(file, MAX_AUTHORIZED_KEYS_BYTES).orElseThrow();
        }
        // key types and bodies are ASCII; ISO-8859-1 reads every other byte without changing it
        if (new String(existing, StandardCharsets.ISO_8859_1)
                .lines()
                .flatMap(line -> SshPublicKey.parseExisting(line).stream())
                .anyMatch(key::sameKeyAs)) {
            ensure(guest, file, stat.orElseThrow(), 0600);
            return false;
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes(existing);
        if (existing.length > 0 && existing[existing.length - 1] != '\n') {
            content.write('\n');
        }
        content.writeBytes((key.line() + "\n").getBytes(StandardCharsets.UTF_8));
        guest.writeFile(file, content.toByteArray(), 0600, owner.uid(), owner.gid());
        return true;
    }

    private static void refuseSymlinkOrWrongType(GuestPath path, FileStat stat, FileStat.Type expected) {
        if (stat.isSymlink()) {
            throw new UnsafePathException(path, "is " + stat.describe() + "; refusing to follow it");
        }
        if (stat.type() != expected) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    path + " is " + stat.describe()
                            + (expected == FileStat.Type.DIRECTORY ? ", not a directory" : ", not a regular file"));
        }
    }

    /** Sets mode and owner only where they differ, so a repeated job writes nothing. */
    private void ensure(GuestFs guest, GuestPath path, FileStat stat, int mode) {
        if (stat.uid() != owner.uid() || stat.gid() != owner.gid()) {
            guest.setOwner(path, owner.uid(), owner.gid());
        }
        if (stat.mode() != mode) {
            guest.setMode(path, mode);
        }
    }
}
