package io.imginject.worker.item;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkFlavour;
import io.imginject.protocol.Outcome;
import io.imginject.worker.testing.Distributions;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The structured network item on real images laid out as each distribution lays out its network configuration,
 * through the real broker: the flavour detected, the files written in that flavour's format, and nothing
 * written the second time. {@code HandlerParityTest} and {@code UserspaceDriverParityTest} send this item with the
 * other guest items through guestfs and fuse2fs.
 */
@ExtendWith(NoHostLeaks.class)
class NetworkFlavoursTest {
    private static final AtomicInteger images = new AtomicInteger();

    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP, HandlerName.NBD),
            2,
            "losetup",
            "mount",
            "blkid",
            "mkfs.ext4",
            "sfdisk",
            "qemu-img",
            "qemu-nbd",
            "nbdfuse",
            "fusermount3",
            "e2fsck");

    enum Guest {
        DEBIAN(
                NetworkFlavour.IFUPDOWN,
                "/etc/network/interfaces.d/50-imginject",
                "iface ens3 inet static\n    address 10.0.2.15/24\n    gateway 10.0.2.2\n"),
        UBUNTU(
                NetworkFlavour.NETPLAN,
                "/etc/netplan/50-imginject.yaml",
                "        macaddress: \"52:54:00:12:34:56\"\n      set-name: \"ens3\"\n"),
        RHEL9(
                NetworkFlavour.NETWORKMANAGER,
                "/etc/NetworkManager/system-connections/imginject-ens3.nmconnection",
                "[ipv4]\nmethod=manual\naddress1=10.0.2.15/24\ngateway=10.0.2.2\nroute1=192.168.0.0/16,10.0.2.3\n"),
        RHEL8(
                NetworkFlavour.IFCFG,
                "/etc/sysconfig/network-scripts/ifcfg-imginject-ens3",
                "HWADDR=52:54:00:12:34:56\nONBOOT=yes\nMTU=1450\nBOOTPROTO=none\nIPADDR=10.0.2.15\nPREFIX=24\n"),
        ARCH(
                NetworkFlavour.NETWORKD,
                "/etc/systemd/network/50-imginject-ens3.network",
                "[Match]\nMACAddress=52:54:00:12:34:56\n");

        final NetworkFlavour flavour;
        final String file;
        final String excerpt;

        Guest(NetworkFlavour flavour, String file, String excerpt) {
            this.flavour = flavour;
            this.file = file;
            this.excerpt = excerpt;
        }

        GuestTree tree() {
            return switch (this) {
                case DEBIAN -> Distributions.debianIfupdown();
                case UBUNTU -> Distributions.ubuntuNetplan();
                case RHEL9 -> Distributions.rhel9NetworkManager();
                case RHEL8 -> Distributions.rhel8Ifcfg();
                case ARCH -> Distributions.networkdOnly();
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Guest.class)
    void each_guest_gets_its_own_format_and_a_second_run_writes_nothing(Guest guest) throws Exception {
        for (HandlerName handler : List.of(HandlerName.LOOP, HandlerName.NBD)) {
            TestImages.Built image = build(guest.tree());

            ItemResult first = network(image, Requests.STATIC_NETWORK, handler);
            ItemResult second = network(image, Requests.STATIC_NETWORK, handler);

            assertThat(first.status()).as("%s", first).isEqualTo(Outcome.OK);
            assertThat(first.message()).startsWith(guest.flavour + " (").contains("wrote " + guest.file);
            assertThat(second.message())
                    .contains("wrote nothing; " + guest.file)
                    .endsWith(" already held this config");
            try (ImageReader reader = ImageReader.open(image)) {
                assertThat(reader.read(guest.file)).contains(guest.excerpt);
                assertThat(reader.ownership(guest.file).mode())
                        .isEqualTo(
                                guest.flavour == NetworkFlavour.NETWORKMANAGER
                                                || guest.flavour == NetworkFlavour.NETPLAN
                                        ? 0600
                                        : 0644);
            }
        }
    }

    @Test
    void ifupdown_keeps_the_guests_interfaces_and_adds_the_source_line_only_where_missing() throws Exception {
        TestImages.Built image = build(Distributions.debianIfupdown()
                .file("/etc/network/interfaces", "auto lo\niface lo inet loopback", 0644, 0, 0));

        ItemResult result = network(image, Requests.STATIC_NETWORK, HandlerName.LOOP);

        assertThat(result.message()).contains("/etc/network/interfaces.d/50-imginject, /etc/network/interfaces");
        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/etc/network/interfaces"))
                    .isEqualTo("auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n");
        }
    }

    @Test
    void a_named_flavour_is_written_without_detection() throws Exception {
        TestImages.Built image = build(GuestTree.linuxRoot());

        ItemResult result =
                network(image, Requests.STATIC_NETWORK.withFlavour(NetworkFlavour.NETWORKD), HandlerName.LOOP);

        assertThat(result.message())
                .startsWith("networkd (named in the request); wrote /etc/systemd/network/50-imginject-ens3.network");
    }

    @Test
    void a_guest_without_any_known_network_system_fails_the_item_clearly() throws Exception {
        TestImages.Built image = build(GuestTree.linuxRoot());

        ItemResult result = network(image, Requests.STATIC_NETWORK, HandlerName.LOOP);

        assertThat(result.code()).isEqualTo(ErrorCode.GUEST_CONTENT_INVALID);
        assertThat(result.message())
                .isEqualTo(
                        "cannot tell how this guest configures its network, os-release debian 12: none of"
                                + " netplan, NetworkManager, network-scripts, ifupdown or systemd-networkd is installed; name one in the request's network.flavour");
    }

    private static TestImages.Built build(GuestTree tree) throws Exception {
        return TestImages.build(
                shared.get().images(), "guest-" + images.incrementAndGet() + ".img", Layout.GPT, Fs.EXT4, tree);
    }

    private static ItemResult network(TestImages.Built image, NetworkConfig config, HandlerName handler)
            throws Exception {
        InjectionReply reply = shared.get()
                .call(InjectionRequest.of(
                                ImageRef.of(image.path().toString()),
                                Injections.none().withNetwork(config))
                        .withHandlers(List.of(handler)));
        assertThat(reply.handler()).as("%s", reply).isEqualTo(handler.wireName());
        return reply.items().get("network");
    }
}
