package io.imginject.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The guest's own network configuration system, which the structured {@code network} item renders into. */
public enum NetworkFlavour {
    /** Debian's ifupdown: {@code /etc/network/interfaces.d}. */
    IFUPDOWN,
    /** NetworkManager keyfiles: {@code /etc/NetworkManager/system-connections}. */
    NETWORKMANAGER,
    /** RHEL's ifcfg files: {@code /etc/sysconfig/network-scripts}. */
    IFCFG,
    /** netplan: {@code /etc/netplan}. */
    NETPLAN,
    /** systemd-networkd: {@code /etc/systemd/network}. */
    NETWORKD;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<NetworkFlavour> fromWireName(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName().equals(name)).findFirst();
    }

    public static String allNames() {
        return Arrays.stream(values()).map(NetworkFlavour::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName();
    }
}
