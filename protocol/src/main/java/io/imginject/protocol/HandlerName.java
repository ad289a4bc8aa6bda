package io.imginject.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The ways a worker can open an image, in the names requests and configuration use. */
public enum HandlerName {
    /** A loop device on the raw image, mounted on the host. */
    LOOP,
    /** qemu-nbd serving any qemu format, mounted on the host. */
    NBD,
    /** libguestfs: the image is only ever opened inside a small appliance VM. */
    GUESTFS;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<HandlerName> fromWireName(String name) {
        return Arrays.stream(values()).filter(h -> h.wireName().equals(name)).findFirst();
    }

    public static String allNames() {
        return Arrays.stream(values()).map(HandlerName::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName();
    }
}
