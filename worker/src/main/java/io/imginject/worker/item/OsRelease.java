package io.imginject.worker.item;

import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The guest's {@code /etc/os-release} (else {@code /usr/lib/os-release}): its ID, ID_LIKE and VERSION_ID. */
record OsRelease(String id, List<String> idLike, String versionId) {
    static final List<GuestPath> PATHS = List.of(GuestPath.of("/etc/os-release"), GuestPath.of("/usr/lib/os-release"));
    private static final int MAX_BYTES = 64 << 10;

    static Optional<OsRelease> read(GuestFs guest) {
        for (GuestPath path : PATHS) {
            Optional<byte[]> content = guest.stat(path).isPresent() ? guest.read(path, MAX_BYTES) : Optional.empty();
            if (content.isPresent()) {
                return Optional.of(parse(new String(content.get(), StandardCharsets.UTF_8)));
            }
        }
        return Optional.empty();
    }

    static OsRelease parse(String text) {
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n", -1)) {
            int equals = line.indexOf('=');
            if (equals > 0 && !line.startsWith("#")) {
                fields.put(
                        line.substring(0, equals).strip(),
                        line.substring(equals + 1).strip().replaceAll("^[\"']|[\"']$", ""));
            }
        }
        String idLike = fields.getOrDefault("ID_LIKE", "");
        return new OsRelease(
                fields.getOrDefault("ID", "linux"),
                idLike.isBlank() ? List.of() : List.of(idLike.split("\\s+")),
                fields.getOrDefault("VERSION_ID", ""));
    }

    /** Whether this is RHEL or one of its rebuilds (Fedora aside). */
    boolean isRhelFamily() {
        return id.equals("rhel") || idLike.contains("rhel") || idLike.contains("centos");
    }

    /** The major version, or -1 when VERSION_ID has none. */
    int majorVersion() {
        String major = versionId.split("\\.", 2)[0];
        return major.matches("[0-9]{1,6}") ? Integer.parseInt(major) : -1;
    }

    @Override
    public String toString() {
        return id + (versionId.isEmpty() ? "" : " " + versionId);
    }
}
