package io.imginject.worker.item;

import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the guest's {@code /etc/ssh/sshd_config} says about root and password logins, so items can report a key or
 * password sshd will refuse. As sshd does, the first value of a keyword wins; lines from the first {@code Match}
 * on apply to some connections only and are not read, nor are the files an {@code Include} names (the guest
 * filesystem is not listed), which the report then says.
 */
final class SshdConfig {
    static final GuestPath PATH = GuestPath.of("/etc/ssh/sshd_config");
    private static final int MAX_BYTES = 1 << 20;

    private final boolean present;
    private final Map<String, String> values;
    private final boolean includes;

    private SshdConfig(boolean present, Map<String, String> values, boolean includes) {
        this.present = present;
        this.values = values;
        this.includes = includes;
    }

    static SshdConfig read(GuestFs guest) {
        Optional<byte[]> content =
                guest.stat(PATH).filter(s -> s.isRegularFile()).flatMap(s -> guest.read(PATH, MAX_BYTES));
        if (content.isEmpty()) {
            return new SshdConfig(false, Map.of(), false);
        }
        Map<String, String> values = new HashMap<>();
        boolean includes = false;
        for (String raw : new String(content.get(), StandardCharsets.UTF_8).split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("[\\s=]+", 2);
            String keyword = parts[0].toLowerCase(Locale.ROOT);
            if (keyword.equals("match")) {
                break;
            }
            includes |= keyword.equals("include");
            if (parts.length == 2) {
                values.putIfAbsent(keyword, parts[1].strip().toLowerCase(Locale.ROOT));
            }
        }
        return new SshdConfig(true, values, includes);
    }

    /** Why sshd will refuse {@code user}'s key, if it will. */
    Optional<String> refusalOfKey(String user) {
        if (user.equals("root") && "no".equals(values.get("permitrootlogin"))) {
            return Optional.of(warning("PermitRootLogin no", "root's key"));
        }
        if ("no".equals(values.get("pubkeyauthentication"))) {
            return Optional.of(warning("PubkeyAuthentication no", user + "'s key"));
        }
        return Optional.empty();
    }

    /** Why sshd will refuse {@code user}'s password, if it will. */
    Optional<String> refusalOfPassword(String user) {
        if ("no".equals(values.get("passwordauthentication"))) {
            return Optional.of(warning("PasswordAuthentication no", user + "'s password"));
        }
        if (user.equals("root")) {
            String permit = values.get("permitrootlogin");
            if (permit != null && !permit.equals("yes")) {
                return Optional.of(warning("PermitRootLogin " + permit, "root's password"));
            }
            if (present && permit == null) {
                return Optional.of(
                        "the guest's " + PATH + " sets no PermitRootLogin, and OpenSSH's default (prohibit-password)"
                                + " refuses root's password over SSH; it still works on the console" + includeNote());
            }
        }
        return Optional.empty();
    }

    private String warning(String setting, String what) {
        return "the guest's " + PATH + " says " + setting + ", so sshd will refuse " + what + includeNote();
    }

    private String includeNote() {
        return includes ? " (files it Includes were not read)" : "";
    }
}
