package io.imginject.worker.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.IpPrefix;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkFlavour;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.Secret;
import io.imginject.worker.testing.DebianTree;
import io.imginject.worker.testing.GuestSsh;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.QemuGuest;
import io.imginject.worker.testing.ShadowHashCheck;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestSshKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The proof that an injection works in a real guest: a minimal Debian 12 built with debootstrap from the mirror,
 * given root's key, root's password, a host name and a static address through the real worker on the real broker,
 * boots under qemu, and root logs in over SSH with that key to a guest that calls itself by that name and holds that
 * address. Once with ifupdown, once with NetworkManager, each detected by the worker. The guest's console is kept
 * in {@code worker/target/boot-logs}; the figures (debootstrap, image, injection, boot to SSH) are printed.
 */
@Tag("boot")
@ExtendWith(NoHostLeaks.class)
class InjectedGuestBootTest {
    private static final String MAC = "52:54:00:a0:b0:01";
    private static final String PASSWORD = "hunter2";
    private static final long ROOT_BYTES = 2048L << 20;
    private static final Duration BOOT_WAIT = Duration.ofMinutes(4);
    private static final Path CONSOLE_LOGS = Path.of("target", "boot-logs");

    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP),
            1,
            "losetup",
            "mount",
            "blkid",
            "partx",
            "sfdisk",
            "mkfs.ext4",
            "debootstrap",
            "qemu-system-x86_64",
            "ssh",
            "ssh-keygen",
            "openssl");

    /** The packages debootstrap downloads, kept for the second guest of this run only. */
    private static Path packageCache;

    enum Guest {
        IFUPDOWN(NetworkFlavour.IFUPDOWN, "/etc/network/interfaces.d/50-imginject"),
        NETWORKMANAGER(
                NetworkFlavour.NETWORKMANAGER,
                "/etc/NetworkManager/system-connections/imginject-" + QemuGuest.NIC_NAME + ".nmconnection");

        final NetworkFlavour flavour;
        final String file;

        Guest(NetworkFlavour flavour, String file) {
            this.flavour = flavour;
            this.file = file;
        }

        /**
         * The guest's network system. debootstrap resolves no virtual packages, so for network-manager the providers
         * of its dbus-system-bus and of polkitd's logind are named.
         */
        List<String> packages() {
            return switch (this) {
                case IFUPDOWN -> List.of("ifupdown");
                case NETWORKMANAGER -> List.of("network-manager", "dbus", "libpam-systemd");
            };
        }

        String hostname() {
            return "booted-" + name().toLowerCase(Locale.ROOT) + ".example.com";
        }
    }

    @BeforeAll
    static void mirrorAndCache() throws Exception {
        HostRequirements.need(
                DebianTree.mirrorReachable(),
                "the boot test builds its guests from " + DebianTree.MIRROR + ", which does not answer");
        packageCache = Files.createTempDirectory("imginject-debootstrap-cache-");
    }

    @AfterAll
    static void dropCache() {
        if (packageCache != null) {
            TestImages.deleteTree(packageCache);
        }
    }

    @ParameterizedTest
    @EnumSource(Guest.class)
    void root_logs_in_with_the_injected_key_to_a_guest_with_the_injected_name_password_and_address(Guest guest)
            throws Exception {
        Path work = Files.createTempDirectory(
                shared.get().images(), "boot-" + guest.name().toLowerCase(Locale.ROOT) + "-");
        Path tree = work.resolve("tree");
        try {
            TestSshKey key = TestSshKey.generate(work);
            long started = System.nanoTime();
            DebianTree debian =
                    DebianTree.bootstrap(tree, guest.packages(), packageCache).bootFilesIn(work);
            long bootstrapped = System.nanoTime();
            TestImages.Built disk = TestImages.bootableDisk(work.resolve("disk.img"), tree, ROOT_BYTES);
            DebianTree.remove(tree);
            long imageBuilt = System.nanoTime();

            InjectionReply reply = shared.get().call(request(disk.path(), key, guest));
            long injected = System.nanoTime();

            assertThat(reply.isOk()).as("%s", reply).isTrue();
            Map<String, ItemResult> items = reply.items();
            assertThat(items.values()).as("%s", items).allMatch(item -> item.status() == Outcome.OK);
            assertThat(items.get("network").message())
                    .startsWith(guest.flavour + " (")
                    .contains("wrote " + guest.file);

            try (QemuGuest qemu = QemuGuest.boot(disk.path(), debian.kernel(), debian.initrd(), MAC, work)) {
                try {
                    GuestSsh login = new GuestSsh(key, qemu.sshPort());
                    login.awaitLogin(BOOT_WAIT, qemu::gone, () -> qemu.consoleTail(60));
                    long loggedIn = System.nanoTime();

                    assertThat(login.run("hostname").strip()).isEqualTo(guest.hostname());
                    assertThat(login.run("ip -4 -o addr show dev " + QemuGuest.NIC_NAME))
                            .contains("inet " + QemuGuest.GUEST_ADDRESS + "/24 ")
                            .doesNotContain("dynamic");
                    assertThat(login.run("ip -4 route show default"))
                            .contains("default via " + QemuGuest.GATEWAY + " dev " + QemuGuest.NIC_NAME);
                    String shadowHash = login.run("getent shadow root").split(":", -1)[1];
                    assertThat(ShadowHashCheck.isHashOf(shadowHash, PASSWORD))
                            .as("root's hash in the guest's /etc/shadow is of the injected password")
                            .isTrue();

                    System.out.printf(
                            "boot test, %s guest: debootstrap %.1f s, image %.1f s, injection %d ms (worker %d ms),"
                                    + " boot to SSH login %.1f s%n",
                            guest.flavour,
                            seconds(bootstrapped - started),
                            seconds(imageBuilt - bootstrapped),
                            (injected - imageBuilt) / 1_000_000,
                            reply.durationMs(),
                            seconds(loggedIn - injected));
                } finally {
                    keepConsole(qemu, guest);
                }
            }
        } finally {
            DebianTree.remove(tree);
            TestImages.deleteTree(work);
        }
    }

    private static InjectionRequest request(Path disk, TestSshKey key, Guest guest) {
        NetworkConfig network = new NetworkConfig(
                List.of(new NetworkLink("nic0", MAC, Optional.of(QemuGuest.NIC_NAME), Optional.empty())),
                List.of(new NetworkSubnet(
                        "net0",
                        "nic0",
                        NetworkSubnet.Type.IPV4,
                        Optional.of(new IpPrefix(QemuGuest.GUEST_ADDRESS, 24, false)),
                        List.of(new NetworkRoute(new IpPrefix("0.0.0.0", 0, false), QemuGuest.GATEWAY)))),
                List.of(QemuGuest.DNS),
                List.of(),
                Optional.empty());
        return InjectionRequest.of(
                        ImageRef.of(disk.toString()),
                        Injections.none()
                                .withKey(key.publicKey())
                                .withAdminPassword(Secret.of(PASSWORD))
                                .withHostname(guest.hostname())
                                .withNetwork(network))
                .withMandatory(Set.of(ItemName.KEY, ItemName.ADMIN_PASSWORD, ItemName.HOSTNAME, ItemName.NETWORK));
    }

    private static void keepConsole(QemuGuest qemu, Guest guest) throws Exception {
        Files.createDirectories(CONSOLE_LOGS);
        Files.writeString(CONSOLE_LOGS.resolve(guest.name().toLowerCase(Locale.ROOT) + "-console.log"), qemu.console());
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
