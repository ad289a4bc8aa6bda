package io.imginject.worker.handler.guestfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The kernel the libguestfs appliance boots: supermin builds it from the newest readable {@code /boot/vmlinuz-*}. */
final class ApplianceKernel {
    private static final Path BOOT = Path.of("/boot");
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    private ApplianceKernel() {}

    /** The newest readable kernel in {@code /boot}, by version; empty when there is none. */
    static Optional<Path> find() {
        try (Stream<Path> boot = Files.list(BOOT)) {
            return boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-") && Files.isReadable(p))
                    .max(Comparator.comparing(p -> p.getFileName().toString(), ApplianceKernel::compareVersions));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Compares two kernel file names by their numbers in order ({@code 6.1.0-57} after {@code 6.1.0-9}), then as text. */
    static int compareVersions(String a, String b) {
        Matcher left = NUMBER.matcher(a);
        Matcher right = NUMBER.matcher(b);
        while (left.find() && right.find()) {
            int order = Long.compare(Long.parseLong(left.group()), Long.parseLong(right.group()));
            if (order != 0) {
                return order;
            }
        }
        return a.compareTo(b);
    }
}
