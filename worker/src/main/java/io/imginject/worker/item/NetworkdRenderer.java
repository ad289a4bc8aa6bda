package io.imginject.worker.item;

import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.worker.guest.GuestPath;
import java.util.ArrayList;
import java.util.List;

/** systemd-networkd: one {@code .network} file per link, matched by MAC address. */
final class NetworkdRenderer implements NetworkRenderer {
    static final GuestPath DIRECTORY = GuestPath.of("/etc/systemd/network");

    @Override
    public List<NetworkFile> render(NetworkConfig config) {
        List<NetworkFile> files = new ArrayList<>();
        for (NetworkLink link : config.links()) {
            files.add(new NetworkFile(
                    DIRECTORY.resolve("50-imginject-" + link.key() + ".network"), unit(config, link), 0644));
        }
        return files;
    }

    private static String unit(NetworkConfig config, NetworkLink link) {
        List<NetworkSubnet> networks = config.networksOn(link);
        StringBuilder unit = new StringBuilder("# " + HEADER + "\n[Match]\nMACAddress=" + link.mac() + "\n");
        link.mtu()
                .ifPresent(mtu -> unit.append("\n[Link]\nMTUBytes=").append(mtu).append('\n'));
        unit.append("\n[Network]\n");
        boolean dhcp4 = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV4_DHCP);
        boolean dhcp6 = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_DHCP);
        unit.append("DHCP=")
                .append(dhcp4 && dhcp6 ? "yes" : dhcp4 ? "ipv4" : dhcp6 ? "ipv6" : "no")
                .append('\n');
        boolean slaac = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_SLAAC);
        unit.append("IPv6AcceptRA=").append(slaac || dhcp6 ? "yes" : "no").append('\n');
        networks.forEach(n ->
                n.address().ifPresent(a -> unit.append("Address=").append(a).append('\n')));
        config.dnsServers().forEach(dns -> unit.append("DNS=").append(dns).append('\n'));
        if (!config.dnsSearch().isEmpty()) {
            unit.append("Domains=").append(String.join(" ", config.dnsSearch())).append('\n');
        }
        for (NetworkSubnet network : networks) {
            for (NetworkRoute route : network.routes()) {
                unit.append("\n[Route]\nDestination=")
                        .append(route.destination())
                        .append("\nGateway=")
                        .append(route.gateway())
                        .append('\n');
            }
        }
        return unit.toString();
    }
}
