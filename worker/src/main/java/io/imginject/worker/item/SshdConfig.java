package io.imginject.worker.item;

import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the guest's {@code /etc/ssh/sshd_config} says about root and password logins, so items can report a key or
 * password sshd will refuse. As sshd does, the first value of a keyword wins, and the files an {@code Include}
 * names are read where it stands (relative to {@code /etc/ssh}, a {@code *} or {@code ?} in the last component
 * matched in lexical order, as Ubuntu's and Debian's {@code sshd_config.d/*.conf}); lines from a {@code Match} on
 * apply to some connections only, and are not read to the end of their file. Where something was not read (an
 * Include with a wildcard in a directory or a {@code [...]} class, too deep or too many files, a file that
 * cannot be read, such as a directory or a fifo) the report says so.
 */
final class SshdConfig {
    static final GuestPath PATH = GuestPath.of("/etc/ssh/sshd_config");
    private static final GuestPath DIRECTORY = GuestPath.of("/etc/ssh");
    private static final int MAX_BYTES = 1 << 20;
    /** sshd's own limit on nested Includes. */
    private static final int MAX_DEPTH = 16;

    private static final int MAX_FILES = 64;
    private static final int MAX_DIRECTORY_ENTRIES = 4096;
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final boolean present;
    private final Map<String, String> values;
    private final boolean unread;

    private SshdConfig(boolean present, Map<String, String> values, boolean unread) {
        this.present = present;
        this.values = values;
        this.unread = unread;
    }

    static SshdConfig read(GuestFs guest) {
        if (guest.stat(PATH).filter(FileStat::isRegularFile).isEmpty()) {
            return new SshdConfig(false, Map.of(), false);
        }
        Reader reader = new Reader(guest);
        reader.file(PATH, 0);
        return new SshdConfig(true, reader.values, reader.partial);
    }

    /** Reads files into first-value-wins settings, following Includes. */
    private static final class Reader {
        private final GuestFs guest;
        private final Map<String, String> values = new HashMap<>();
        private int files;
        private boolean partial;

        Reader(GuestFs guest) {
            this.guest = guest;
        }

        void file(GuestPath path, int depth) {
            if (files == MAX_FILES) {
                partial = true;
                return;
            }
            files++;
            Optional<byte[]> content;
            try {
                content = guest.read(path, MAX_BYTES);
            } catch (InjectException unreadable) {
                partial = true;
                return;
            }
            if (content.isEmpty()) {
                return; // nothing there: sshd skips an Include that names nothing too
            }
            for (String raw : new String(content.get(), StandardCharsets.UTF_8).split("\n", -1)) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("[\\s=]+", 2);
                String keyword = parts[0].toLowerCase(Locale.ROOT);
                if (keyword.equals("match")) {
                    return;
                }
                if (keyword.equals("include") && parts.length == 2) {
                    include(parts[1].strip(), depth);
                } else if (parts.length == 2) {
                    values.putIfAbsent(keyword, parts[1].strip().toLowerCase(Locale.ROOT));
                }
            }
        }

        private void include(String patterns, int depth) {
            if (depth + 1 > MAX_DEPTH) {
                partial = true;
                return;
            }
            for (String pattern : WHITESPACE.split(patterns, -1)) {
                GuestPath target;
                try {
                    target = GuestPath.of(pattern.startsWith("/") ? pattern : DIRECTORY + "/" + pattern);
                } catch (IllegalArgumentException notAPlainPath) {
                    partial = true;
                    continue;
                }
                String name = target.toString().substring(target.toString().lastIndexOf('/') + 1);
                Optional<GuestPath> parent = target.parent();
                if (parent.isEmpty()
                        || isGlob(parent.get().toString())
                        || target.toString().indexOf('[') >= 0) {
                    partial = true;
                } else if (!isGlob(name)) {
                    file(target, depth + 1);
                } else {
                    Pattern glob = glob(name);
                    List<String> entries;
                    try {
                        entries = guest.list(parent.get(), MAX_DIRECTORY_ENTRIES);
                    } catch (InjectException unlistable) {
                        partial = true;
                        continue;
                    }
                    for (String entry : entries) {
                        if (glob.matcher(entry).matches()) {
                            file(parent.get().resolve(entry), depth + 1);
                        }
                    }
                }
            }
        }

        private static boolean isGlob(String text) {
            return text.indexOf('*') >= 0 || text.indexOf('?') >= 0;
        }

        /** A file-name glob of {@code *} and {@code ?} as a pattern; a leading dot is matched only by a dot. */
        private static Pattern glob(String name) {
            StringBuilder regex = new StringBuilder(name.startsWith(".") ? "" : "(?!\\.)");
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                regex.append(
                        switch (c) {
                            case '*' -> "[^/]*";
                            case '?' -> "[^/]";
                            default -> Pattern.quote(String.valueOf(c));
                        });
            }
            return Pattern.compile(regex.toString());
        }
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
        return unread ? " (some of the files it Includes could not be read)" : "";
    }
}
