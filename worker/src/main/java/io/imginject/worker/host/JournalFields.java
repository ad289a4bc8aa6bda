package io.imginject.worker.host;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The named values that identify a {@link HeldResource} in the journal, in the order they are written. */
public final class JournalFields {
    private final Map<String, String> values;

    private JournalFields(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static JournalFields of(String name, Object value) {
        return new JournalFields(Map.of()).and(name, value);
    }

    /** These fields, and {@code name} with {@code value} after them. */
    public JournalFields and(String name, Object value) {
        Map<String, String> more = new LinkedHashMap<>(values);
        more.put(name, value.toString());
        return new JournalFields(more);
    }

    static JournalFields read(Map<String, String> values) {
        return new JournalFields(new LinkedHashMap<>(values));
    }

    Map<String, String> values() {
        return values;
    }

    public Path path(String name) throws UnreadableJournalException {
        return Path.of(text(name));
    }

    public long number(String name) throws UnreadableJournalException {
        try {
            return Long.parseLong(text(name));
        } catch (NumberFormatException e) {
            throw new UnreadableJournalException("the field " + name + " is not a number: " + values.get(name));
        }
    }

    private String text(String name) throws UnreadableJournalException {
        String value = values.get(name);
        if (value == null) {
            throw new UnreadableJournalException("the field " + name + " is missing from " + values);
        }
        return value;
    }
}
