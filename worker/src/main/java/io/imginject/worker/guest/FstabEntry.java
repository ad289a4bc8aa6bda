package io.imginject.worker.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of a guest's {@code /etc/fstab}: what to mount (a device, {@code UUID=}, {@code LABEL=}, ...), where,
 * as which type, with which options.
 */
public record FstabEntry(String spec, String mountPoint, String type, List<String> options) {
    private static final Pattern OCTAL_ESCAPE = Pattern.compile("\\\\([0-7]{3})");

    public FstabEntry {
        options = List.copyOf(options);
    }

    /**
     * The entries of an fstab, in order: comments and blank lines skipped, lines with fewer than two fields (which
     * the guest's own mount would refuse) skipped, and the octal escapes of fields ({@code \040} for a space)
     * decoded. Missing type and options default to {@code auto} and {@code defaults}, as mount's do.
     */
    public static List<FstabEntry> parse(String fstab) {
        List<FstabEntry> entries = new ArrayList<>();
        for (String line : fstab.lines().toList()) {
            String content = line.strip();
            if (content.isEmpty() || content.startsWith("#")) {
                continue;
            }
            String[] fields = content.split("\\s+", -1);
            if (fields.length < 2) {
                continue;
            }
            String type = fields.length > 2 ? unescape(fields[2]) : "auto";
            List<String> options =
                    fields.length > 3 ? List.of(unescape(fields[3]).split(",", -1)) : List.of("defaults");
            entries.add(new FstabEntry(unescape(fields[0]), unescape(fields[1]), type, options));
        }
        return entries;
    }

    private static String unescape(String field) {
        Matcher escape = OCTAL_ESCAPE.matcher(field);
        StringBuilder decoded = new StringBuilder();
        while (escape.find()) {
            escape.appendReplacement(
                    decoded, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(escape.group(1), 8))));
        }
        return escape.appendTail(decoded).toString();
    }
}
