package io.imginject.worker.guest;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Looks up users in the guest's own {@code /etc/passwd}, never the host's. */
public final class GuestAccounts {
    public static final GuestPath PASSWD = GuestPath.of("/etc/passwd");
    private static final int MAX_PASSWD_BYTES = 4 << 20;

    private GuestAccounts() {}

    /** A passwd entry's ids and home directory. */
    public record Account(String name, long uid, long gid, String home) {}

    /** {@code name}'s entry in the guest's passwd, if the guest has one. */
    public static Optional<Account> find(GuestFs guest, String name) {
        Optional<byte[]> passwd = guest.read(PASSWD, MAX_PASSWD_BYTES);
        if (passwd.isEmpty()) {
            return Optional.empty();
        }
        for (String line : new String(passwd.get(), StandardCharsets.UTF_8).split("\n", -1)) {
            String[] fields = line.split(":", -1);
            if (fields.length >= 6 && fields[0].equals(name)) {
                try {
                    return Optional.of(
                            new Account(name, Long.parseLong(fields[2]), Long.parseLong(fields[3]), fields[5]));
                } catch (NumberFormatException malformed) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** root's uid and gid from the guest's passwd, or 0:0 when the guest has no usable entry. */
    public static Account root(GuestFs guest) {
        return find(guest, "root").orElse(new Account("root", 0, 0, "/root"));
    }
}
