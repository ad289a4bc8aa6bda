package io.imginject.protocol;

import static io.imginject.protocol.RequestDecoderTest.json;
import static io.imginject.protocol.RequestDecoderTest.rejection;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The structured network item: network_data.json's shape, checked field by field. */
@Tag("fast")
class NetworkDecoderTest {
    static final String NETWORK = """
            {'links': [{'id': 'tap1', 'type': 'phy', 'ethernet_mac_address': '52:54:00:AB:cd:01', 'mtu': 1450, 'name': 'ens3',
                        'vif_id': 'x'}],
             'networks': [{'id': 'net0', 'link': 'tap1', 'type': 'ipv4', 'ip_address': '10.0.0.5', 'netmask': '255.255.255.0',
                           'network_id': 'n', 'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0', 'gateway': '10.0.0.1'}],
                           'services': [{'type': 'dns', 'address': '10.0.0.2'}]},
                          {'id': 'net1', 'link': 'tap1', 'type': 'ipv6', 'ip_address': 'fd00::5', 'netmask': 'ffff:ffff:ffff:ffff::'},
                          {'id': 'net2', 'link': 'tap1', 'type': 'ipv6_slaac'}],
             'services': [{'type': 'dns', 'address': '8.8.8.8'}, {'type': 'dns', 'address': '10.0.0.2'}],
             'dns_search': ['example.com'],
             'flavour': 'netplan'}""";

    static String request(String network) {
        return "{'v':1,'image':{'path':'/i.img'},'inject':{'network':" + network + "}}";
    }

    @Test
    void decodes_links_networks_routes_dns_and_the_flavour() throws Exception {
        NetworkConfig config =
                RequestDecoder.decode(json(request(NETWORK))).inject().network().orElseThrow();

        assertThat(config.links())
                .containsExactly(new NetworkLink("tap1", "52:54:00:ab:cd:01", Optional.of("ens3"), Optional.of(1450)));
        assertThat(config.networks())
                .extracting(NetworkSubnet::type)
                .containsExactly(NetworkSubnet.Type.IPV4, NetworkSubnet.Type.IPV6, NetworkSubnet.Type.IPV6_SLAAC);
        assertThat(config.networks().get(0).address()).contains(new IpPrefix("10.0.0.5", 24, false));
        assertThat(config.networks().get(1).address()).contains(new IpPrefix("fd00::5", 64, true));
        assertThat(config.networks().get(0).routes())
                .containsExactly(new NetworkRoute(new IpPrefix("0.0.0.0", 0, false), "10.0.0.1"));
        assertThat(config.dnsServers()).containsExactly("10.0.0.2", "8.8.8.8");
        assertThat(config.dnsSearch()).containsExactly("example.com");
        assertThat(config.flavour()).contains(NetworkFlavour.NETPLAN);
    }

    @Test
    void survives_the_encoder() throws Exception {
        InjectionRequest request = RequestDecoder.decode(json(request(NETWORK)));

        assertThat(RequestDecoder.decode(RequestEncoder.encode(request))).isEqualTo(request);
    }

    @Test
    void reports_each_bad_field_at_its_path_without_quoting_it() {
        RequestRejectedException e = rejection(request("""
                {'links': [{'id': '../x', 'ethernet_mac_address': 'zz', 'name': 'a/b', 'mtu': 9, 'type': 'bond'}],
                 'networks': [{'id': 'n', 'link': 'other', 'type': 'ipv4', 'ip_address': 'db.internal', 'netmask': '255.0.255.0'},
                              {'id': 'm', 'link': 'other', 'type': 'ipv4_dhcp', 'ip_address': '10.0.0.1'}],
                 'services': [{'type': 'ntp', 'address': '1.2.3.4'}],
                 'dns_search': ['-bad-'], 'flavour': 'yast', 'extra': 1}"""));

        assertThat(e.problems())
                .extracting(Problem::path)
                .containsExactlyInAnyOrder(
                        "$.inject.network.extra",
                        "$.inject.network.links[0].id",
                        "$.inject.network.links[0].type",
                        "$.inject.network.links[0].ethernet_mac_address",
                        "$.inject.network.links[0].name",
                        "$.inject.network.links[0].mtu",
                        "$.inject.network.networks[0].link",
                        "$.inject.network.networks[0].ip_address",
                        "$.inject.network.networks[0].netmask",
                        "$.inject.network.networks[1].link",
                        "$.inject.network.networks[1]",
                        "$.inject.network.services[0].type",
                        "$.inject.network.dns_search[0]",
                        "$.inject.network.flavour");
        assertThat(e.getMessage()).doesNotContain("db.internal", "../x", "a/b", "yast", "-bad-");
    }

    @Test
    void refuses_more_links_than_the_limit() {
        String link = "{'id': 'l%d', 'ethernet_mac_address': '52:54:00:00:00:%02d'}";
        StringBuilder links = new StringBuilder();
        for (int i = 0; i <= NetworkDecoder.MAX_LINKS; i++) {
            links.append(i == 0 ? "" : ",").append(link.formatted(i, i));
        }
        RequestRejectedException e = rejection(request("{'links': [" + links + "]}"));

        assertThat(e.problems()).extracting(Problem::message).containsExactly("has 17 entries; at most 16 are taken");
    }

    @Test
    void needs_at_least_one_link() {
        RequestRejectedException e = rejection(request("{'links': []}"));

        assertThat(e.problems()).extracting(Problem::path).containsExactly("$.inject.network.links");
    }

    @Test
    void cannot_go_with_net() {
        RequestRejectedException e = rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'net':'x','network':"
                + "{'links':[{'id':'l','ethernet_mac_address':'52:54:00:00:00:01'}]}}}");

        assertThat(e.problems()).extracting(Problem::path).containsExactly("$.inject.network");
    }

    @Test
    void the_item_runs_after_net_and_before_metadata() {
        assertThat(List.of(ItemName.values())).containsSubsequence(ItemName.NET, ItemName.NETWORK, ItemName.METADATA);
    }
}
