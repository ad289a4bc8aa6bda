package io.imginject.worker.item;

import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * NetworkManager keyfiles: one {@code .nmconnection} per link, mode 0600 (NetworkManager ignores keyfiles others
 * can read), matched by MAC address, with a UUID derived from the link so a second run writes the same file.
 */
final class KeyfileRenderer implements NetworkRenderer {
    static final GuestPath DIRECTORY = GuestPath.of("/etc/NetworkManager/system-connections");

    @Override
    public List<NetworkFile> render(NetworkConfig config) {
        List<NetworkFile> files = new ArrayList<>();
        for (NetworkLink link : config.links()) {
            files.add(new NetworkFile(
                    DIRECTORY.resolve("imginject-" + link.key() + ".nmconnection"), keyfile(config, link), 0600));
        }
        return files;
    }

    private static String keyfile(NetworkConfig config, NetworkLink link) {
        String id = "imginject-" + link.key();
        StringBuilder file = new StringBuilder("# " + HEADER + "\n[connection]\nid=" + id + "\nuuid="
                + UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)) + "\ntype=ethernet\nautoconnect=true\n");
        link.name()
                .ifPresent(name -> file.append("interface-name=").append(name).append('\n'));
        file.append("\n[ethernet]\nmac-address=").append(link.mac()).append('\n');
        link.mtu().ifPresent(mtu -> file.append("mtu=").append(mtu).append('\n'));
        List<NetworkSubnet> networks = config.networksOn(link);
        file.append(family(config, networks, false));
        file.append(family(config, networks, true));
        return file.toString();
    }

    private static String family(NetworkConfig config, List<NetworkSubnet> all, boolean ipv6) {
        List<NetworkSubnet> networks =
                all.stream().filter(n -> n.type().isIpv6() == ipv6).toList();
        StringBuilder section =
                new StringBuilder("\n[" + (ipv6 ? "ipv6" : "ipv4") + "]\nmethod=" + method(networks, ipv6) + "\n");
        int index = 1;
        for (NetworkSubnet network : networks) {
            if (network.address().isPresent()) {
                section.append("address")
                        .append(index++)
                        .append('=')
                        .append(network.address().get())
                        .append('\n');
            }
        }
        index = 1;
        for (NetworkSubnet network : networks) {
            for (NetworkRoute route : network.routes()) {
                if (route.destination().isDefault()) {
                    section.append("gateway=").append(route.gateway()).append('\n');
                } else {
                    section.append("route")
                            .append(index++)
                            .append('=')
                            .append(route.destination())
                            .append(',')
                            .append(route.gateway())
                            .append('\n');
                }
            }
        }
        List<String> dns = config.dnsServers().stream()
                .filter(s -> s.contains(":") == ipv6)
                .toList();
        if (!dns.isEmpty() && !networks.isEmpty()) {
            section.append("dns=").append(String.join(";", dns)).append(";\n");
        }
        if (!config.dnsSearch().isEmpty() && !networks.isEmpty()) {
            section.append("dns-search=")
                    .append(String.join(";", config.dnsSearch()))
                    .append(";\n");
        }
        return section.toString();
    }

    private static String method(List<NetworkSubnet> networks, boolean ipv6) {
        if (networks.isEmpty()) {
            return ipv6 ? "ignore" : "disabled";
        }
        if (networks.stream()
                .anyMatch(n -> n.type() == NetworkSubnet.Type.IPV4_DHCP || n.type() == NetworkSubnet.Type.IPV6_SLAAC)) {
            return "auto";
        }
        if (networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_DHCP)) {
            return "dhcp";
        }
        return "manual";
    }
}
