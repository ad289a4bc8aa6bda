package io.imginject.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The injection items, in the order the worker applies them and under the names requests use. */
public enum ItemName {
    KEY,
    NET,
    NETWORK,
    HOSTNAME,
    METADATA,
    ADMIN_PASSWORD,
    USERS,
    NOCLOUD,
    FILES;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ItemName> fromWireName(String name) {
        return Arrays.stream(values()).filter(i -> i.wireName().equals(name)).findFirst();
    }

    public static String allNames() {
        return Arrays.stream(values()).map(ItemName::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName();
    }
}
