package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.Secret;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import io.imginject.worker.guest.UnsafePathException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;

/**
 * Sets root's password in the guest's {@code /etc/shadow}: the hash field gets a fresh SHA-512 crypt hash, the
 * last-change field today's day number (as {@code passwd} does, so aging rules do not expire it at once), and every
 * other line and field stays byte for byte. The file keeps its mode and owner and is replaced atomically.
 */
public final class PasswordItem implements InjectionItem {
    static final GuestPath SHADOW = GuestPath.of("/etc/shadow");
    private static final int MAX_SHADOW_BYTES = 4 << 20;

    private final Secret password;
    private final Clock clock;

    public PasswordItem(Secret password, Clock clock) {
        this.password = password;
        this.clock = clock;
    }

    @Override
    public ItemName name() {
        return ItemName.ADMIN_PASSWORD;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        FileStat stat = guest.stat(SHADOW).orElseThrow(() ->
                new InjectException(ErrorCode.GUEST_CONTENT_INVALID, "the guest has no " + SHADOW + "; cannot set root's password"));
        if (!stat.isRegularFile()) {
            throw new UnsafePathException(SHADOW, "is " + stat.describe() + "; refusing to replace it");
        }
        // ISO-8859-1 maps every byte to one char and back, so the bytes of other entries stay as the guest wrote them
        String shadow = new String(guest.read(SHADOW, MAX_SHADOW_BYTES).orElseThrow(), StandardCharsets.ISO_8859_1);
        String[] lines = shadow.split("\n", -1);
        boolean found = false;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("root:")) {
                lines[i] = withNewPassword(lines[i]);
                found = true;
            }
        }
        if (!found) {
            throw new InjectException(ErrorCode.GUEST_CONTENT_INVALID, "the guest's " + SHADOW + " has no entry for root");
        }
        guest.writeFile(SHADOW, String.join("\n", lines).getBytes(StandardCharsets.ISO_8859_1), stat.mode(), stat.uid(), stat.gid());
        return ItemResult.ok("root password set in " + SHADOW + " (SHA-512 crypt)");
    }

    private String withNewPassword(String entry) {
        String[] fields = entry.split(":", -1);
        if (fields.length < 3) {
            throw new InjectException(ErrorCode.GUEST_CONTENT_INVALID, "root's entry in the guest's " + SHADOW
                    + " has " + fields.length + " fields; a shadow entry has 9");
        }
        fields[1] = ShadowPasswordHasher.hash(password);
        fields[2] = Long.toString(LocalDate.now(clock).toEpochDay());
        return String.join(":", fields);
    }
}
