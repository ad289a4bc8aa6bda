package io.imginject.protocol;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * An address configuration on a link, as a {@code network_data.json} network.
 *
 * @param id the network's id
 * @param link the id of the link it configures
 * @param type static IPv4 or IPv6, DHCP or SLAAC
 * @param address the static address and prefix; present exactly for {@link Type#IPV4} and {@link Type#IPV6}
 * @param routes its routes, the default route included
 */
public record NetworkSubnet(String id, String link, Type type, Optional<IpPrefix> address, List<NetworkRoute> routes) {

    public NetworkSubnet {
        routes = List.copyOf(routes);
    }

    /** How the address is obtained, under {@code network_data.json}'s names. */
    public enum Type {
        IPV4,
        IPV6,
        IPV4_DHCP,
        IPV6_DHCP,
        IPV6_SLAAC;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean isIpv6() {
            return this == IPV6 || this == IPV6_DHCP || this == IPV6_SLAAC;
        }

        public boolean isStatic() {
            return this == IPV4 || this == IPV6;
        }
    }
}
