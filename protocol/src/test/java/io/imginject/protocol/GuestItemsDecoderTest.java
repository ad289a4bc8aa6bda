package io.imginject.protocol;

import static io.imginject.protocol.RequestDecoderTest.json;
import static io.imginject.protocol.RequestDecoderTest.rejection;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The hostname, users and seed items on the wire. */
@Tag("fast")
class GuestItemsDecoderTest {
    static String request(String inject) {
        return "{'v':1,'image':{'path':'/i.img'},'inject':{" + inject + "}}";
    }

    @Test
    void hostname_is_taken_as_given_and_survives_the_encoder() throws Exception {
        InjectionRequest request = RequestDecoder.decode(json(request("'hostname': 'web1.example.com'")));

        assertThat(request.inject().hostname()).contains("web1.example.com");
        assertThat(RequestDecoder.decode(RequestEncoder.encode(request))).isEqualTo(request);
    }

    @Test
    void a_hostname_that_is_no_host_name_is_refused_without_being_quoted() {
        for (String bad : new String[] {"-web", "web_1", "a..b", "x".repeat(64), "web 1", ""}) {
            RequestRejectedException e = rejection(request("'hostname': '" + bad + "'"));

            assertThat(e.problems()).extracting(Problem::path).as(bad).containsExactly("$.inject.hostname");
        }
    }

    @Test
    void users_carry_keys_and_a_password_that_never_shows() throws Exception {
        InjectionRequest request =
                RequestDecoder.decode(json(request("'users': [{'name': 'debian', 'keys': ['" + RequestDecoderTest.KEY
                        + "'], 'password': 'pw1'}, {'name': 'ops', 'keys': []" + ", 'password': 'pw2'}]")));

        assertThat(request.inject().users()).extracting(GuestUser::name).containsExactly("debian", "ops");
        assertThat(request.inject().users().get(0).keys())
                .extracting(SshPublicKey::line)
                .containsExactly(RequestDecoderTest.KEY);
        assertThat(request.inject().users().get(1).password()).contains(Secret.of("pw2"));
        assertThat(request.toString()).doesNotContain("pw1", "pw2");
        assertThat(RequestDecoder.decode(RequestEncoder.encode(request))).isEqualTo(request);
    }

    @Test
    void users_are_refused_for_root_bad_names_repeats_bad_keys_and_nothing_to_do() {
        RequestRejectedException e =
                rejection(request("'users': [{'name': 'root', 'password': 'x'}, {'name': 'Bad Name', 'password': 'x'},"
                        + " {'name': 'a', 'password': 'x'}, {'name': 'a', 'password': 'y'}, {'name': 'b', 'keys': ['nope']}, {'name': 'c'},"
                        + " {'name': 'd', 'password': '', 'shell': 1}]"));

        assertThat(e.problems())
                .extracting(Problem::path)
                .containsExactly(
                        "$.inject.users[0].name",
                        "$.inject.users[1].name",
                        "$.inject.users[3].name",
                        "$.inject.users[4].keys[0]",
                        "$.inject.users[5]",
                        "$.inject.users[6].shell",
                        "$.inject.users[6].password");
        assertThat(e.getMessage()).doesNotContain("Bad Name", "nope");
    }

    @Test
    void nocloud_takes_an_instance_id_and_user_data_that_never_shows() throws Exception {
        InjectionRequest request = RequestDecoder.decode(
                json(request("'nocloud': {'instance_id': 'i-0001', 'user_data': '#cloud-config\\n'}")));

        assertThat(request.inject().nocloud()).contains(new NoCloudSeed("i-0001", Secret.of("#cloud-config\n")));
        assertThat(request.toString()).doesNotContain("cloud-config");
        assertThat(RequestDecoder.decode(RequestEncoder.encode(request))).isEqualTo(request);
    }

    @Test
    void nocloud_needs_a_plain_instance_id() {
        RequestRejectedException e = rejection(request("'nocloud': {'instance_id': 'a/b', 'extra': 1}"));

        assertThat(e.problems())
                .extracting(Problem::path)
                .containsExactly("$.inject.nocloud.extra", "$.inject.nocloud.instance_id");
    }

    @Test
    void a_client_builds_the_guest_items_with_typed_methods_and_the_worker_reads_back_the_same() throws Exception {
        NetworkConfig network = new NetworkConfig(
                List.of(new NetworkLink("tap1", "52:54:00:12:34:56", Optional.of("ens3"), Optional.of(1450))),
                List.of(new NetworkSubnet(
                        "net0",
                        "tap1",
                        NetworkSubnet.Type.IPV4,
                        Optional.of(new IpPrefix("10.0.2.15", 24, false)),
                        List.of(new NetworkRoute(new IpPrefix("0.0.0.0", 0, false), "10.0.2.2")))),
                List.of("10.0.2.3"),
                List.of("example.com"),
                Optional.of(NetworkFlavour.NETPLAN));
        InjectionRequest request = InjectionRequest.of(
                ImageRef.of("/i.img"),
                Injections.none()
                        .withNetwork(network)
                        .withHostname("web1.example.com")
                        .withUsers(List.of(new GuestUser(
                                "debian",
                                List.of(SshPublicKey.parse(RequestDecoderTest.KEY)),
                                Optional.of(Secret.of("pw1")))))
                        .withNocloud(new NoCloudSeed("i-0001", Secret.of("#cloud-config\n"))));

        JsonNode inject =
                new JsonMapper().readTree(RequestEncoder.encode(request)).get("inject");

        assertThat(inject.get("network")
                        .get("links")
                        .get(0)
                        .get("ethernet_mac_address")
                        .asText())
                .isEqualTo("52:54:00:12:34:56");
        assertThat(inject.get("network").get("networks").get(0).get("netmask").asText())
                .isEqualTo("24");
        assertThat(inject.get("network").get("flavour").asText()).isEqualTo("netplan");
        assertThat(inject.get("hostname").asText()).isEqualTo("web1.example.com");
        assertThat(inject.get("users").get(0).get("password").asText()).isEqualTo("pw1");
        assertThat(inject.get("nocloud").get("instance_id").asText()).isEqualTo("i-0001");
        assertThat(inject.get("nocloud").get("user_data").asText()).isEqualTo("#cloud-config\n");
        assertThat(request.inject().requested())
                .containsExactly(ItemName.NETWORK, ItemName.HOSTNAME, ItemName.USERS, ItemName.NOCLOUD);
        assertThat(RequestDecoder.decode(RequestEncoder.encode(request))).isEqualTo(request);
    }

    @Test
    void a_file_may_not_target_hostname_or_hosts_with_the_hostname_item() {
        RequestRejectedException e =
                rejection(request("'hostname': 'web1', 'files': [{'path': '/etc/hosts', 'content_b64': ''}]"));

        assertThat(e.problems()).extracting(Problem::path).containsExactly("$.inject.files[0].path");
    }
}
