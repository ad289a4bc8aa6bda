package io.imginject.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code inject.network}, OpenStack's {@code network_data.json} shape, reporting each problem at its JSON
 * path. Ids and interface names end up in guest file names, so they are held to a plain alphabet; addresses are
 * literals, checked without resolving anything.
 */
final class NetworkDecoder {
    static final int MAX_LINKS = 16;
    static final int MAX_NETWORKS = 32;
    static final int MAX_ROUTES = 16;
    static final int MAX_DNS_SERVERS = 8;
    static final int MAX_DNS_SEARCH = 8;
    private static final Set<String> FIELDS = Set.of("links", "networks", "services", "dns_search", "flavour");
    private static final Set<String> LINK_FIELDS =
            Set.of("id", "type", "ethernet_mac_address", "mtu", "name", "vif_id");
    private static final Set<String> NETWORK_FIELDS =
            Set.of("id", "link", "type", "ip_address", "netmask", "routes", "services", "network_id");
    private static final Set<String> ROUTE_FIELDS = Set.of("network", "netmask", "gateway");
    private static final Set<String> SERVICE_FIELDS = Set.of("type", "address");
    private static final Set<String> UNSUPPORTED_LINK_TYPES = Set.of("bond", "vlan");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
    private static final Pattern INTERFACE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");
    private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");
    private static final Pattern DOMAIN = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    /** Where problems go: the JSON path and the message. */
    interface Problems {
        void add(String path, String message);
    }

    private final Problems problems;
    private int count;

    private NetworkDecoder(Problems problems) {
        this.problems = (path, message) -> {
            count++;
            problems.add(path, message);
        };
    }

    static Optional<NetworkConfig> decode(JsonNode node, String at, Problems problems) {
        NetworkDecoder decoder = new NetworkDecoder(problems);
        NetworkConfig config = decoder.config(node, at);
        return decoder.count == 0 ? Optional.ofNullable(config) : Optional.empty();
    }

    private NetworkConfig config(JsonNode node, String at) {
        if (!node.isObject()) {
            problems.add(
                    at,
                    "must be an object in network_data.json's shape ({links, networks, services}), not "
                            + Describe.of(node));
            return null;
        }
        unknownFields(node, at, FIELDS);
        List<NetworkLink> links = new ArrayList<>();
        Set<String> linkIds = new HashSet<>();
        JsonNode linkNodes = array(node.get("links"), at + ".links", MAX_LINKS, true);
        for (int i = 0; linkNodes != null && i < linkNodes.size(); i++) {
            NetworkLink link = link(linkNodes.get(i), at + ".links[" + i + "]");
            if (link != null && !linkIds.add(link.id())) {
                problems.add(at + ".links[" + i + "].id", "repeats an earlier link's id");
            } else if (link != null) {
                links.add(link);
            }
        }
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < links.size(); i++) {
            if (!keys.add(links.get(i).key())) {
                problems.add(
                        at + ".links[" + i + "]",
                        "has the same name as an earlier link; each link needs its own name or id");
            }
        }
        List<String> dnsServers = new ArrayList<>();
        List<NetworkSubnet> networks = new ArrayList<>();
        JsonNode networkNodes = array(node.get("networks"), at + ".networks", MAX_NETWORKS, false);
        for (int i = 0; networkNodes != null && i < networkNodes.size(); i++) {
            NetworkSubnet network = network(networkNodes.get(i), at + ".networks[" + i + "]", linkIds, dnsServers);
            if (network != null) {
                networks.add(network);
            }
        }
        services(node.get("services"), at + ".services", dnsServers);
        List<String> dnsSearch = new ArrayList<>();
        JsonNode search = array(node.get("dns_search"), at + ".dns_search", MAX_DNS_SEARCH, false);
        for (int i = 0; search != null && i < search.size(); i++) {
            String domain = text(search.get(i), at + ".dns_search[" + i + "]");
            if (domain != null && !DOMAIN.matcher(domain).matches()) {
                problems.add(at + ".dns_search[" + i + "]", "must be a domain name such as example.com");
            } else if (domain != null) {
                dnsSearch.add(domain);
            }
        }
        Optional<NetworkFlavour> flavour = Optional.empty();
        JsonNode flavourNode = node.get("flavour");
        if (flavourNode != null && !flavourNode.isNull()) {
            String name = text(flavourNode, at + ".flavour");
            if (name != null) {
                flavour = NetworkFlavour.fromWireName(name);
                if (flavour.isEmpty()) {
                    problems.add(
                            at + ".flavour",
                            "is not a flavour; use one of " + NetworkFlavour.allNames()
                                    + ", or leave it out to have the worker detect the guest's");
                }
            }
        }
        return new NetworkConfig(links, networks, dnsServers, dnsSearch, flavour);
    }

    private NetworkLink link(JsonNode node, String at) {
        if (!object(node, at)) {
            return null;
        }
        unknownFields(node, at, LINK_FIELDS);
        int before = count;
        String id = id(node.get("id"), at + ".id");
        String type = optionalText(node.get("type"), at + ".type");
        if (type != null && UNSUPPORTED_LINK_TYPES.contains(type)) {
            problems.add(
                    at + ".type", "is " + type + "; this worker configures plain interfaces only, not bonds or VLANs");
        }
        String mac = text(
                required(node.get("ethernet_mac_address"), at + ".ethernet_mac_address"), at + ".ethernet_mac_address");
        if (mac != null && !MAC.matcher(mac).matches()) {
            problems.add(at + ".ethernet_mac_address", "must be a MAC address such as 52:54:00:12:34:56");
        }
        Optional<String> name = Optional.ofNullable(optionalText(node.get("name"), at + ".name"));
        if (name.isPresent() && !INTERFACE_NAME.matcher(name.get()).matches()) {
            problems.add(at + ".name", "must be an interface name of 1 to 15 letters, digits, '_', '.' or '-'");
        }
        Optional<Integer> mtu = Optional.empty();
        JsonNode mtuNode = node.get("mtu");
        if (mtuNode != null && !mtuNode.isNull()) {
            if (mtuNode.canConvertToExactIntegral() && mtuNode.asLong() >= 68 && mtuNode.asLong() <= 65535) {
                mtu = Optional.of(mtuNode.asInt());
            } else {
                problems.add(at + ".mtu", "must be a number from 68 to 65535, or null");
            }
        }
        return count > before ? null : new NetworkLink(id, mac.toLowerCase(java.util.Locale.ROOT), name, mtu);
    }

    private NetworkSubnet network(JsonNode node, String at, Set<String> linkIds, List<String> dnsServers) {
        if (!object(node, at)) {
            return null;
        }
        unknownFields(node, at, NETWORK_FIELDS);
        int before = count;
        String id = id(node.get("id"), at + ".id");
        String link = text(required(node.get("link"), at + ".link"), at + ".link");
        if (link != null && !linkIds.contains(link)) {
            problems.add(at + ".link", "names no link of links");
        }
        String typeName = text(required(node.get("type"), at + ".type"), at + ".type");
        NetworkSubnet.Type type = null;
        for (NetworkSubnet.Type candidate : NetworkSubnet.Type.values()) {
            if (candidate.wireName().equals(typeName)) {
                type = candidate;
            }
        }
        if (typeName != null && type == null) {
            problems.add(at + ".type", "must be one of ipv4, ipv6, ipv4_dhcp, ipv6_dhcp, ipv6_slaac");
        }
        Optional<IpPrefix> address = Optional.empty();
        if (type != null && type.isStatic()) {
            address = Optional.ofNullable(prefix(
                    node.get("ip_address"), node.get("netmask"), at + ".ip_address", at + ".netmask", type.isIpv6()));
        } else if (type != null && (node.hasNonNull("ip_address") || node.hasNonNull("netmask"))) {
            problems.add(at, "is of type " + typeName + ", which takes no ip_address or netmask");
        }
        List<NetworkRoute> routes = new ArrayList<>();
        JsonNode routeNodes = array(node.get("routes"), at + ".routes", MAX_ROUTES, false);
        for (int i = 0; type != null && routeNodes != null && i < routeNodes.size(); i++) {
            NetworkRoute route = route(routeNodes.get(i), at + ".routes[" + i + "]", type.isIpv6());
            if (route != null) {
                routes.add(route);
            }
        }
        services(node.get("services"), at + ".services", dnsServers);
        return count > before ? null : new NetworkSubnet(id, link, type, address, routes);
    }

    private NetworkRoute route(JsonNode node, String at, boolean ipv6) {
        if (!object(node, at)) {
            return null;
        }
        unknownFields(node, at, ROUTE_FIELDS);
        IpPrefix destination = prefix(node.get("network"), node.get("netmask"), at + ".network", at + ".netmask", ipv6);
        String gateway = address(required(node.get("gateway"), at + ".gateway"), at + ".gateway", ipv6);
        return destination == null || gateway == null ? null : new NetworkRoute(destination, gateway);
    }

    private void services(JsonNode node, String at, List<String> dnsServers) {
        JsonNode services = array(node, at, MAX_DNS_SERVERS, false);
        for (int i = 0; services != null && i < services.size(); i++) {
            String here = at + "[" + i + "]";
            if (!object(services.get(i), here)) {
                continue;
            }
            unknownFields(services.get(i), here, SERVICE_FIELDS);
            String type = text(required(services.get(i).get("type"), here + ".type"), here + ".type");
            if (type != null && !type.equals("dns")) {
                problems.add(here + ".type", "must be dns, the only service this worker configures");
                continue;
            }
            String address = text(required(services.get(i).get("address"), here + ".address"), here + ".address");
            if (address != null && !IpLiterals.isIpv4(address) && !IpLiterals.isIpv6(address)) {
                problems.add(here + ".address", "must be an IPv4 or IPv6 address");
            } else if (address != null && !dnsServers.contains(address)) {
                if (dnsServers.size() == MAX_DNS_SERVERS) {
                    problems.add(here, "is one name server too many; at most " + MAX_DNS_SERVERS + " in all");
                } else {
                    dnsServers.add(address);
                }
            }
        }
    }

    private IpPrefix prefix(
            JsonNode addressNode, JsonNode netmaskNode, String addressAt, String netmaskAt, boolean ipv6) {
        String address = address(required(addressNode, addressAt), addressAt, ipv6);
        String netmask = netmaskNode != null && netmaskNode.canConvertToExactIntegral()
                ? netmaskNode.asText()
                : text(required(netmaskNode, netmaskAt), netmaskAt);
        Optional<Integer> length = netmask == null ? Optional.empty() : IpLiterals.prefixOf(netmask, ipv6);
        if (netmask != null && length.isEmpty()) {
            problems.add(
                    netmaskAt,
                    ipv6
                            ? "must be a prefix length from 0 to 128 or an IPv6 netmask"
                            : "must be a dotted netmask such as 255.255.255.0 or a prefix length from 0 to 32");
        }
        return address == null || length.isEmpty() ? null : new IpPrefix(address, length.get(), ipv6);
    }

    private String address(JsonNode node, String at, boolean ipv6) {
        String text = text(node, at);
        if (text != null && !(ipv6 ? IpLiterals.isIpv6(text) : IpLiterals.isIpv4(text))) {
            problems.add(at, "must be an " + (ipv6 ? "IPv6" : "IPv4") + " address");
            return null;
        }
        return text;
    }

    private String id(JsonNode node, String at) {
        String id = text(required(node, at), at);
        if (id != null && !ID.matcher(id).matches()) {
            problems.add(at, "must be 1 to 64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
            return null;
        }
        return id;
    }

    private JsonNode array(JsonNode node, String at, int max, boolean required) {
        if (node == null || node.isNull()) {
            if (required) {
                problems.add(at, "is required");
            }
            return null;
        }
        if (!node.isArray()) {
            problems.add(at, "must be an array, not " + Describe.of(node));
            return null;
        }
        if (node.size() > max) {
            problems.add(at, "has " + node.size() + " entries; at most " + max + " are taken");
            return null;
        }
        if (required && node.isEmpty()) {
            problems.add(at, "is empty; give at least one entry");
            return null;
        }
        return node;
    }

    private JsonNode required(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            problems.add(at, "is required");
            return null;
        }
        return node;
    }

    private boolean object(JsonNode node, String at) {
        if (!node.isObject()) {
            problems.add(at, "must be an object, not " + Describe.of(node));
            return false;
        }
        return true;
    }

    private String optionalText(JsonNode node, String at) {
        return node == null || node.isNull() ? null : text(node, at);
    }

    private String text(JsonNode node, String at) {
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            problems.add(at, "must be a string, not " + Describe.of(node));
            return null;
        }
        return node.asText();
    }

    private void unknownFields(JsonNode node, String at, Set<String> known) {
        int position = 0;
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            position++;
            if (known.contains(name)) {
                continue;
            }
            String knownHere = "known fields here: "
                    + String.join(", ", known.stream().sorted().toList());
            if (PlainNames.isPlain(name)) {
                problems.add(at + "." + name, "is not a v1 field; " + knownHere);
            } else {
                problems.add(at, "field " + position + " is not a v1 field; " + knownHere);
            }
        }
    }
}
