package io.imginject.protocol;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writes a {@link NetworkConfig} in the {@code network_data.json} shape {@link NetworkDecoder} reads. */
final class NetworkEncoder {
    private NetworkEncoder() {}

    static void write(NetworkConfig config, ObjectNode node) {
        ArrayNode links = node.putArray("links");
        for (NetworkLink link : config.links()) {
            ObjectNode entry = links.addObject();
            entry.put("id", link.id());
            entry.put("type", "phy");
            entry.put("ethernet_mac_address", link.mac());
            link.name().ifPresent(n -> entry.put("name", n));
            link.mtu().ifPresent(m -> entry.put("mtu", m));
        }
        ArrayNode networks = node.putArray("networks");
        for (NetworkSubnet network : config.networks()) {
            ObjectNode entry = networks.addObject();
            entry.put("id", network.id());
            entry.put("link", network.link());
            entry.put("type", network.type().wireName());
            network.address().ifPresent(a -> {
                entry.put("ip_address", a.address());
                entry.put("netmask", Integer.toString(a.prefix()));
            });
            ArrayNode routes = entry.putArray("routes");
            for (NetworkRoute route : network.routes()) {
                ObjectNode r = routes.addObject();
                r.put("network", route.destination().address());
                r.put("netmask", Integer.toString(route.destination().prefix()));
                r.put("gateway", route.gateway());
            }
        }
        ArrayNode services = node.putArray("services");
        config.dnsServers().forEach(s -> services.addObject().put("type", "dns").put("address", s));
        ArrayNode search = node.putArray("dns_search");
        config.dnsSearch().forEach(search::add);
        config.flavour().ifPresent(f -> node.put("flavour", f.wireName()));
    }
}
