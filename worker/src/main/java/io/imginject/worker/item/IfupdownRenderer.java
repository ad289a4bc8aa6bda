package io.imginject.worker.item;

import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.worker.guest.GuestPath;
import java.util.List;

/**
 * Debian's ifupdown: one file in {@code /etc/network/interfaces.d}, which Debian's {@code /etc/network/interfaces}
 * sources ({@link NetworkItem} adds the {@code source} line where it is missing). ifupdown knows interfaces only by
 * name, so a link is configured under its {@code name}, else its id.
 */
final class IfupdownRenderer implements NetworkRenderer {
    static final GuestPath FILE = GuestPath.of("/etc/network/interfaces.d/50-imginject");

    @Override
    public List<NetworkFile> render(NetworkConfig config) {
        StringBuilder file = new StringBuilder("# " + HEADER + "\n");
        for (NetworkLink link : config.links()) {
            String name = link.key();
            file.append("\nauto ").append(name).append('\n');
            List<NetworkSubnet> networks = config.networksOn(link);
            if (networks.isEmpty()) {
                file.append("iface ").append(name).append(" inet manual\n");
            }
            boolean first = true;
            for (NetworkSubnet network : networks) {
                file.append("iface ")
                        .append(name)
                        .append(network.type().isIpv6() ? " inet6 " : " inet ")
                        .append(method(network.type()))
                        .append('\n');
                network.address()
                        .ifPresent(a -> file.append("    address ").append(a).append('\n'));
                for (NetworkRoute route : network.routes()) {
                    if (route.destination().isDefault()) {
                        file.append("    gateway ").append(route.gateway()).append('\n');
                    } else {
                        file.append("    up ip ")
                                .append(route.destination().ipv6() ? "-6 " : "")
                                .append("route replace ")
                                .append(route.destination())
                                .append(" via ")
                                .append(route.gateway())
                                .append(" dev ")
                                .append(name)
                                .append('\n');
                    }
                }
                if (first) {
                    link.mtu()
                            .ifPresent(
                                    mtu -> file.append("    mtu ").append(mtu).append('\n'));
                    if (!config.dnsServers().isEmpty()) {
                        file.append("    dns-nameservers ")
                                .append(String.join(" ", config.dnsServers()))
                                .append('\n');
                    }
                    if (!config.dnsSearch().isEmpty()) {
                        file.append("    dns-search ")
                                .append(String.join(" ", config.dnsSearch()))
                                .append('\n');
                    }
                    first = false;
                }
            }
        }
        return List.of(new NetworkFile(FILE, file.toString(), 0644));
    }

    private static String method(NetworkSubnet.Type type) {
        return switch (type) {
            case IPV4, IPV6 -> "static";
            case IPV4_DHCP, IPV6_DHCP -> "dhcp";
            case IPV6_SLAAC -> "auto";
        };
    }
}
