package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Sets the guest's host name: {@code /etc/hostname} holds it, and the {@code 127.0.1.1} line of {@code /etc/hosts}
 * (Debian's way of resolving the host's own name) names it, the full name first and the short one after, as
 * Debian's installer writes it. The first {@code 127.0.1.1} line is rewritten, or one added after the last
 * {@code 127.0.0.1} line (else at the top); every other line stays byte for byte, a missing final newline
 * included.
 */
public final class HostnameItem implements InjectionItem {
    static final GuestPath HOSTNAME = GuestPath.of("/etc/hostname");
    static final GuestPath HOSTS = GuestPath.of("/etc/hosts");
    private static final String SELF = "127.0.1.1";
    private static final int MAX_HOSTS_BYTES = 1 << 20;

    private final String hostname;

    public HostnameItem(String hostname) {
        this.hostname = hostname;
    }

    @Override
    public ItemName name() {
        return ItemName.HOSTNAME;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        List<GuestPath> written = new ArrayList<>();
        if (GuestFiles.replace(guest, HOSTNAME, (hostname + "\n").getBytes(StandardCharsets.UTF_8))) {
            written.add(HOSTNAME);
        }
        if (GuestFiles.replace(guest, HOSTS, hosts(guest).getBytes(StandardCharsets.ISO_8859_1))) {
            written.add(HOSTS);
        }
        return ItemResult.ok(
                written.isEmpty()
                        ? "host name already " + hostname + " in " + HOSTNAME + " and " + HOSTS
                        : "host name " + hostname + ": wrote "
                                + String.join(
                                        ", ",
                                        written.stream()
                                                .map(GuestPath::toString)
                                                .toList()));
    }

    private String hosts(GuestFs guest) {
        Optional<FileStat> stat = guest.stat(HOSTS);
        if (stat.isPresent() && !stat.get().isRegularFile()) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID, HOSTS + " is " + stat.get().describe() + ", not a regular file");
        }
        // ISO-8859-1 keeps every byte of the lines this item does not touch
        String text = stat.isEmpty()
                ? "127.0.0.1 localhost\n"
                : new String(guest.read(HOSTS, MAX_HOSTS_BYTES).orElseThrow(), StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        boolean endsWithNewline = text.isEmpty() || text.endsWith("\n");
        if (endsWithNewline) {
            lines.remove(lines.size() - 1);
        }
        String self = SELF + "\t"
                + (hostname.contains(".") ? hostname + " " + hostname.substring(0, hostname.indexOf('.')) : hostname);
        int existing = indexOf(lines, SELF);
        if (existing >= 0) {
            lines.set(existing, self);
        } else {
            lines.add(lastIndexOf(lines, "127.0.0.1") + 1, self);
        }
        return String.join("\n", lines) + (endsWithNewline ? "\n" : "");
    }

    private static int indexOf(List<String> lines, String address) {
        for (int i = 0; i < lines.size(); i++) {
            if (startsWithAddress(lines.get(i), address)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<String> lines, String address) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (startsWithAddress(lines.get(i), address)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWithAddress(String line, String address) {
        String stripped = line.stripLeading();
        return stripped.startsWith(address)
                && stripped.length() > address.length()
                && Character.isWhitespace(stripped.charAt(address.length()));
    }
}
