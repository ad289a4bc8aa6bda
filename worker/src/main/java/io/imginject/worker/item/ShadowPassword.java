package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.Secret;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import io.imginject.worker.guest.UnsafePathException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Sets passwords in the guest's {@code /etc/shadow}: each user's hash field gets a fresh SHA-512 crypt hash, the
 * last-change field today's day number (as {@code passwd} does, so aging rules do not expire it at once), and every
 * other line and field stays byte for byte. The file keeps its mode and owner and is replaced atomically. An entry
 * whose SHA-512 crypt hash already is of the requested password is left as it is (salt and last-change day too), so a
 * second run writes nothing.
 */
final class ShadowPassword {
    static final GuestPath SHADOW = GuestPath.of("/etc/shadow");
    private static final int MAX_SHADOW_BYTES = 4 << 20;

    private ShadowPassword() {}

    /**
     * Sets the password of each user named; every one must have an entry.
     *
     * @return the users whose entry already held their password, which were left alone
     */
    static Set<String> set(GuestFs guest, Map<String, Secret> passwords, Clock clock) {
        FileStat stat = guest.stat(SHADOW)
                .orElseThrow(() -> new InjectException(
                        ErrorCode.GUEST_CONTENT_INVALID,
                        "the guest has no " + SHADOW + "; cannot set " + String.join(", ", passwords.keySet())
                                + "'s password"));
        if (!stat.isRegularFile()) {
            throw new UnsafePathException(SHADOW, "is " + stat.describe() + "; refusing to replace it");
        }
        // ISO-8859-1 maps every byte to one char and back, so the bytes of other entries stay as the guest wrote them
        String shadow = new String(guest.read(SHADOW, MAX_SHADOW_BYTES).orElseThrow(), StandardCharsets.ISO_8859_1);
        String[] lines = shadow.split("\n", -1);
        Set<String> unchanged = new HashSet<>(passwords.keySet());
        for (Map.Entry<String, Secret> user : passwords.entrySet()) {
            boolean found = false;
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].startsWith(user.getKey() + ":")) {
                    String entry = withNewPassword(lines[i], user.getKey(), user.getValue(), clock);
                    if (!entry.equals(lines[i])) {
                        unchanged.remove(user.getKey());
                    }
                    lines[i] = entry;
                    found = true;
                }
            }
            if (!found) {
                throw new InjectException(
                        ErrorCode.GUEST_CONTENT_INVALID,
                        "the guest's " + SHADOW + " has no entry for " + user.getKey());
            }
        }
        if (unchanged.size() < passwords.size()) {
            guest.writeFile(
                    SHADOW,
                    String.join("\n", lines).getBytes(StandardCharsets.ISO_8859_1),
                    stat.mode(),
                    stat.uid(),
                    stat.gid());
        }
        return unchanged;
    }

    private static String withNewPassword(String entry, String user, Secret password, Clock clock) {
        String[] fields = entry.split(":", -1);
        if (fields.length < 3) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    user + "'s entry in the guest's " + SHADOW + " has " + fields.length
                            + " fields; a shadow entry has 9");
        }
        if (ShadowPasswordHasher.isHashOf(fields[1], password)) {
            return entry;
        }
        fields[1] = ShadowPasswordHasher.hash(password);
        fields[2] = Long.toString(LocalDate.now(clock).toEpochDay());
        return String.join(":", fields);
    }
}
