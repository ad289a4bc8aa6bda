package io.imginject.worker.oslo;

import java.util.regex.Pattern;

/** oslo.messaging's version rule ({@code _utils.version_is_compatible}) for RPC and envelope versions. */
final class Versions {
    private static final Pattern VERSION = Pattern.compile("[0-9]{1,9}(\\.[0-9]{1,9}){0,2}");

    private Versions() {}

    static boolean isValid(String version) {
        return version != null && VERSION.matcher(version).matches();
    }

    /**
     * Whether an implementation at {@code implemented} serves a request for {@code requested}: the same major,
     * the requested minor no higher, and with equal minors the requested revision no higher.
     */
    static boolean isCompatible(String implemented, String requested) {
        if (!isValid(implemented) || !isValid(requested)) {
            return false;
        }
        int[] have = parts(implemented);
        int[] want = parts(requested);
        if (have[0] != want[0] || want[1] > have[1]) {
            return false;
        }
        return want[1] != have[1] || want[2] <= have[2];
    }

    private static int[] parts(String version) {
        String[] split = version.split("\\.", -1);
        int[] parts = new int[3];
        for (int i = 0; i < split.length; i++) {
            parts[i] = Integer.parseInt(split[i]);
        }
        return parts;
    }
}
