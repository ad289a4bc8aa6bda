package io.imginject.worker.item;

import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.worker.guest.GuestPath;
import java.util.List;

/**
 * netplan's version 2 YAML, one file for all links, each matched by MAC address (and renamed where the link names
 * its interface). cloud-init takes the same document as a NoCloud {@code network-config}.
 */
final class NetplanRenderer implements NetworkRenderer {
    static final GuestPath FILE = GuestPath.of("/etc/netplan/50-imginject.yaml");

    @Override
    public List<NetworkFile> render(NetworkConfig config) {
        return List.of(new NetworkFile(FILE, document(config), 0600));
    }

    /** The netplan document: {@code network: {version: 2, ethernets: ...}}. */
    static String document(NetworkConfig config) {
        StringBuilder yaml = new StringBuilder("# " + HEADER + "\nnetwork:\n  version: 2\n  ethernets:\n");
        for (NetworkLink link : config.links()) {
            yaml.append("    \"").append(link.key()).append("\":\n");
            yaml.append("      match:\n        macaddress: \"")
                    .append(link.mac())
                    .append("\"\n");
            link.name()
                    .ifPresent(name ->
                            yaml.append("      set-name: \"").append(name).append("\"\n"));
            link.mtu().ifPresent(mtu -> yaml.append("      mtu: ").append(mtu).append('\n'));
            List<NetworkSubnet> networks = config.networksOn(link);
            boolean dhcp4 = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV4_DHCP);
            boolean dhcp6 = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_DHCP);
            boolean slaac = networks.stream().anyMatch(n -> n.type() == NetworkSubnet.Type.IPV6_SLAAC);
            yaml.append("      dhcp4: ").append(dhcp4).append('\n');
            yaml.append("      dhcp6: ").append(dhcp6).append('\n');
            if (slaac) {
                yaml.append("      accept-ra: true\n");
            }
            List<String> addresses = networks.stream()
                    .flatMap(n -> n.address().stream())
                    .map(Object::toString)
                    .toList();
            if (!addresses.isEmpty()) {
                yaml.append("      addresses:\n");
                addresses.forEach(a -> yaml.append("        - \"").append(a).append("\"\n"));
            }
            List<NetworkRoute> routes =
                    networks.stream().flatMap(n -> n.routes().stream()).toList();
            if (!routes.isEmpty()) {
                yaml.append("      routes:\n");
                routes.forEach(r -> yaml.append("        - to: \"")
                        .append(r.destination())
                        .append("\"\n")
                        .append("          via: \"")
                        .append(r.gateway())
                        .append("\"\n"));
            }
            if (!config.dnsServers().isEmpty() || !config.dnsSearch().isEmpty()) {
                yaml.append("      nameservers:\n");
                yaml.append("        addresses: [")
                        .append(quoted(config.dnsServers()))
                        .append("]\n");
                yaml.append("        search: [")
                        .append(quoted(config.dnsSearch()))
                        .append("]\n");
            }
        }
        return yaml.toString();
    }

    private static String quoted(List<String> values) {
        return String.join(", ", values.stream().map(v -> "\"" + v + "\"").toList());
    }
}
