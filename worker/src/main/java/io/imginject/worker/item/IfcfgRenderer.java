package io.imginject.worker.item;

import io.imginject.protocol.IpPrefix;
import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.worker.guest.GuestPath;
import java.util.ArrayList;
import java.util.List;

/**
 * RHEL's ifcfg files (NetworkManager's ifcfg-rh plugin and the old network-scripts): {@code ifcfg-imginject-<link>}
 * matched by {@code HWADDR}, with {@code DEVICE} where the link names its interface, and
 * {@code route-imginject-<link>} / {@code route6-imginject-<link>} for routes other than the default one.
 */
final class IfcfgRenderer implements NetworkRenderer {
    static final GuestPath DIRECTORY = GuestPath.of("/etc/sysconfig/network-scripts");

    @Override
    public List<NetworkFile> render(NetworkConfig config) {
        List<NetworkFile> files = new ArrayList<>();
        for (NetworkLink link : config.links()) {
            String name = "imginject-" + link.key();
            List<NetworkSubnet> networks = config.networksOn(link);
            files.add(new NetworkFile(DIRECTORY.resolve("ifcfg-" + name), ifcfg(config, link, name, networks), 0644));
            List<NetworkRoute> routes = networks.stream()
                    .flatMap(n -> n.routes().stream())
                    .filter(r -> !r.destination().isDefault())
                    .toList();
            List<NetworkRoute> v4 =
                    routes.stream().filter(r -> !r.destination().ipv6()).toList();
            List<NetworkRoute> v6 =
                    routes.stream().filter(r -> r.destination().ipv6()).toList();
            if (!v4.isEmpty()) {
                files.add(new NetworkFile(DIRECTORY.resolve("route-" + name), routeLines(v4), 0644));
            }
            if (!v6.isEmpty()) {
                files.add(new NetworkFile(DIRECTORY.resolve("route6-" + name), routeLines(v6), 0644));
            }
        }
        return files;
    }

    private static String ifcfg(NetworkConfig config, NetworkLink link, String name, List<NetworkSubnet> networks) {
        StringBuilder file = new StringBuilder("# " + HEADER + "\nTYPE=Ethernet\nNAME=" + name + "\n");
        link.name().ifPresent(device -> file.append("DEVICE=").append(device).append('\n'));
        file.append("HWADDR=").append(link.mac()).append("\nONBOOT=yes\n");
        link.mtu().ifPresent(mtu -> file.append("MTU=").append(mtu).append('\n'));
        boolean dhcp4 = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV4_DHCP);
        file.append("BOOTPROTO=").append(dhcp4 ? "dhcp" : "none").append('\n');
        List<IpPrefix> v4 = networks.stream()
                .flatMap(n -> n.address().stream())
                .filter(a -> !a.ipv6())
                .toList();
        for (int i = 0; i < v4.size(); i++) {
            String suffix = i == 0 ? "" : Integer.toString(i);
            file.append("IPADDR")
                    .append(suffix)
                    .append('=')
                    .append(v4.get(i).address())
                    .append('\n');
            file.append("PREFIX")
                    .append(suffix)
                    .append('=')
                    .append(v4.get(i).prefix())
                    .append('\n');
        }
        List<NetworkSubnet> v6Networks =
                networks.stream().filter(n -> n.type().isIpv6()).toList();
        if (!v6Networks.isEmpty()) {
            file.append("IPV6INIT=yes\n");
            file.append("IPV6_AUTOCONF=")
                    .append(v6Networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_SLAAC) ? "yes" : "no")
                    .append('\n');
            if (v6Networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_DHCP)) {
                file.append("DHCPV6C=yes\n");
            }
            List<IpPrefix> v6 =
                    v6Networks.stream().flatMap(n -> n.address().stream()).toList();
            if (!v6.isEmpty()) {
                file.append("IPV6ADDR=").append(v6.get(0)).append('\n');
            }
            if (v6.size() > 1) {
                file.append("IPV6ADDR_SECONDARIES=\"")
                        .append(String.join(
                                " ",
                                v6.subList(1, v6.size()).stream()
                                        .map(Object::toString)
                                        .toList()))
                        .append("\"\n");
            }
        } else {
            file.append("IPV6INIT=no\n");
        }
        for (NetworkSubnet network : networks) {
            for (NetworkRoute route : network.routes()) {
                if (route.destination().isDefault()) {
                    file.append(route.destination().ipv6() ? "IPV6_DEFAULTGW=" : "GATEWAY=")
                            .append(route.gateway())
                            .append('\n');
                }
            }
        }
        for (int i = 0; i < config.dnsServers().size(); i++) {
            file.append("DNS")
                    .append(i + 1)
                    .append('=')
                    .append(config.dnsServers().get(i))
                    .append('\n');
        }
        if (!config.dnsSearch().isEmpty()) {
            file.append("DOMAIN=\"")
                    .append(String.join(" ", config.dnsSearch()))
                    .append("\"\n");
        }
        return file.toString();
    }

    private static String routeLines(List<NetworkRoute> routes) {
        StringBuilder lines = new StringBuilder("# " + HEADER + "\n");
        routes.forEach(r -> lines.append(r.destination())
                .append(" via ")
                .append(r.gateway())
                .append('\n'));
        return lines.toString();
    }
}
