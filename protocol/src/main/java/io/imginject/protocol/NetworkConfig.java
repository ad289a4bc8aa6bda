package io.imginject.protocol;

import java.util.List;
import java.util.Optional;

/**
 * The structured network item: OpenStack's {@code network_data.json} shape, which the worker renders into
 * the guest's own network configuration format.
 *
 * @param links the interfaces
 * @param networks the address configurations of the links, in order
 * @param dnsServers name servers, from {@code services} of type {@code dns} (top-level and per network)
 * @param dnsSearch search domains
 * @param flavour the format to write; empty: the worker detects the guest's
 */
public record NetworkConfig(
        List<NetworkLink> links,
        List<NetworkSubnet> networks,
        List<String> dnsServers,
        List<String> dnsSearch,
        Optional<NetworkFlavour> flavour) {

    public NetworkConfig {
        links = List.copyOf(links);
        networks = List.copyOf(networks);
        dnsServers = List.copyOf(dnsServers);
        dnsSearch = List.copyOf(dnsSearch);
    }

    /** The networks on {@code link}, in order. */
    public List<NetworkSubnet> networksOn(NetworkLink link) {
        return networks.stream().filter(n -> n.link().equals(link.id())).toList();
    }

    public NetworkConfig withFlavour(NetworkFlavour newFlavour) {
        return new NetworkConfig(links, networks, dnsServers, dnsSearch, Optional.of(newFlavour));
    }
}
