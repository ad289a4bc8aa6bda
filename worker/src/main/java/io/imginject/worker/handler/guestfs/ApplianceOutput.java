package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.EventCallback;
import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What an appliance's qemu and kernel print while it starts (libguestfs's appliance events: qemu's standard error
 * and the console), kept so that a failed launch can say what went wrong instead of libguestfs's boilerplate
 * ("guestfs_launch failed. This usually means the libguestfs appliance failed to start or crashed. Do: export
 * LIBGUESTFS_DEBUG=1 ..."). Only the last {@value #MAX_KEPT_CHARS} characters are kept. The output comes before
 * any item runs, so it holds nothing of the request.
 */
final class ApplianceOutput implements EventCallback {
    static final int MAX_KEPT_CHARS = 16 * 1024;
    private static final int MAX_LINE_CHARS = 300;
    private static final List<String> TELLING =
            List.of("error", "panic", "assertion", "failed", "cannot", "unable", "killed", "not found");

    private final StringBuilder kept = new StringBuilder();

    /** Collects the appliance output of {@code handle} from now on. */
    static ApplianceOutput collectFrom(GuestFS handle) throws LibGuestFSException {
        ApplianceOutput output = new ApplianceOutput();
        handle.set_event_callback(output, GuestFS.EVENT_APPLIANCE);
        return output;
    }

    @Override
    public synchronized void event(long event, int eventHandle, String buffer, long[] array) {
        if (buffer == null) {
            return;
        }
        kept.append(buffer);
        if (kept.length() > MAX_KEPT_CHARS) {
            kept.delete(0, kept.length() - MAX_KEPT_CHARS);
        }
    }

    /** The line of the output that says what went wrong, if it printed anything. */
    synchronized Optional<String> usefulLine() {
        return usefulLine(kept.toString());
    }

    /**
     * The first line that reads like a failure (an error, a panic, a failed assertion), else the last line printed;
     * control characters dropped and cut at {@value #MAX_LINE_CHARS} characters.
     */
    static Optional<String> usefulLine(String output) {
        List<String> lines = Arrays.stream(output.split("\r?\n|\r"))
                .map(ApplianceOutput::printable)
                .filter(line -> !line.isBlank())
                .toList();
        Optional<String> telling =
                lines.stream().filter(ApplianceOutput::tellsOfFailure).findFirst();
        return telling.or(() -> lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(lines.size() - 1)))
                .map(line -> line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "..." : line);
    }

    /** The first line of libguestfs's own message, which is the part that is not boilerplate. */
    static String firstLine(LibGuestFSException e) {
        String message = String.valueOf(e.getMessage()).strip();
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end).strip();
    }

    private static boolean tellsOfFailure(String line) {
        String lower = line.toLowerCase(Locale.ROOT);
        return TELLING.stream().anyMatch(lower::contains);
    }

    private static String printable(String line) {
        return line.replaceAll("\\p{Cntrl}", "").strip();
    }
}
