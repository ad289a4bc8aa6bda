package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Makes sure ifupdown reads {@code /etc/network/interfaces.d}: Debian's {@code /etc/network/interfaces} sources it,
 * but an image may have dropped the line. The line is appended where missing; every other byte stays.
 */
final class InterfacesSourceLine {
    static final GuestPath INTERFACES = GuestPath.of("/etc/network/interfaces");
    static final String SOURCE_LINE = "source /etc/network/interfaces.d/*";
    private static final int MAX_BYTES = 1 << 20;

    private InterfacesSourceLine() {}

    /** Adds the source line if needed; returns the file written, if any. */
    static Optional<GuestPath> ensure(GuestFs guest) {
        Optional<FileStat> stat = guest.stat(INTERFACES);
        if (stat.isEmpty()) {
            guest.writeFile(
                    INTERFACES,
                    ("auto lo\niface lo inet loopback\n\n" + SOURCE_LINE + "\n").getBytes(StandardCharsets.UTF_8),
                    GuestFiles.NEW_FILE_MODE,
                    0,
                    0);
            return Optional.of(INTERFACES);
        }
        if (!stat.get().isRegularFile()) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    INTERFACES + " is " + stat.get().describe()
                            + ", not a regular file; cannot make it source interfaces.d");
        }
        String text = new String(guest.read(INTERFACES, MAX_BYTES).orElseThrow(), StandardCharsets.ISO_8859_1);
        boolean sources = text.lines()
                .map(String::strip)
                .anyMatch(line -> (line.startsWith("source ") || line.startsWith("source-directory "))
                        && line.contains("/etc/network/interfaces.d"));
        if (sources) {
            return Optional.empty();
        }
        String appended = text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + SOURCE_LINE + "\n";
        guest.writeFile(
                INTERFACES,
                appended.getBytes(StandardCharsets.ISO_8859_1),
                stat.get().mode(),
                stat.get().uid(),
                stat.get().gid());
        return Optional.of(INTERFACES);
    }
}
