package io.imginject.worker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The test run's own log ({@code target/test.log}, where in-process workers log at DEBUG), read back so that a
 * failing test can say in its message what the worker did, where CI shows the message and not the file.
 */
public final class TestLog {
    private static final Path FILE = Path.of("target", "test.log");

    private TestLog() {}

    /** The last {@code most} lines that mention {@code text}, as one block; a note when there are none. */
    public static String lastLinesMentioning(String text, int most) {
        try (Stream<String> lines = Files.lines(FILE, StandardCharsets.UTF_8)) {
            List<String> found = lines.filter(line -> line.contains(text)).toList();
            if (found.isEmpty()) {
                return "(no line of " + FILE + " mentions " + text + ")";
            }
            return String.join("\n", found.subList(Math.max(0, found.size() - most), found.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(" + FILE + " could not be read: " + e.getMessage() + ")";
        }
    }
}
