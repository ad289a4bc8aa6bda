package io.imginject.worker.testing;

import io.imginject.protocol.FileInjection;
import io.imginject.protocol.GuestUser;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.IpPrefix;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkLink;
import io.imginject.protocol.NetworkRoute;
import io.imginject.protocol.NetworkSubnet;
import io.imginject.protocol.NoCloudSeed;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Requests the tests send. */
public final class Requests {
    public static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg user@example";

    /** A static IPv4 address with routes and SLAAC on one link, ens3, for the structured network item. */
    public static final NetworkConfig STATIC_NETWORK = new NetworkConfig(
            List.of(new NetworkLink("tap1", "52:54:00:12:34:56", Optional.of("ens3"), Optional.of(1450))),
            List.of(
                    new NetworkSubnet(
                            "net0",
                            "tap1",
                            NetworkSubnet.Type.IPV4,
                            Optional.of(new IpPrefix("10.0.2.15", 24, false)),
                            List.of(
                                    new NetworkRoute(new IpPrefix("0.0.0.0", 0, false), "10.0.2.2"),
                                    new NetworkRoute(new IpPrefix("192.168.0.0", 16, false), "10.0.2.3"))),
                    new NetworkSubnet("net1", "tap1", NetworkSubnet.Type.IPV6_SLAAC, Optional.empty(), List.of())),
            List.of("10.0.2.3"),
            List.of("example.com"),
            Optional.empty());

    private Requests() {}

    /** Every item, into a {@link GuestTree#linuxRoot()} guest; files mandatory. */
    public static InjectionRequest everything(Path image) {
        return InjectionRequest.of(
                        ImageRef.of(image.toString()),
                        Injections.none()
                                .withKey(SshPublicKey.parse(KEY))
                                .withAdminPassword(Secret.of("s3cret"))
                                .withFiles(List.of(
                                        FileInjection.of("/etc/motd", utf8("hello\n")),
                                        FileInjection.of("/home/alice/notes", utf8("x"))
                                                .withMode(0640)
                                                .withOwner(1000, 1000),
                                        FileInjection.of("/opt/app/conf/app.ini", utf8("[app]\nsetuid=yes\n"))
                                                .withMode(04750)))
                                .withMetadata(Map.of("role", "web"))
                                .withNet("auto eth0\niface eth0 inet dhcp\n"))
                .withMandatory(Set.of(ItemName.FILES));
    }

    /**
     * The items that describe the guest itself, at once: the structured network (its flavour detected), a host
     * name, a key and password for alice, a NoCloud seed, and a key for root; for a {@link GuestTree#linuxRoot()}
     * guest with netplan.
     */
    public static InjectionRequest guestItems(Path image) {
        return InjectionRequest.of(
                        ImageRef.of(image.toString()),
                        Injections.none()
                                .withKey(SshPublicKey.parse(KEY))
                                .withNetwork(STATIC_NETWORK)
                                .withHostname("web1.example.com")
                                .withUsers(List.of(new GuestUser(
                                        "alice", List.of(SshPublicKey.parse(KEY)), Optional.of(Secret.of("alice-pw")))))
                                .withNocloud(new NoCloudSeed("i-0001", Secret.of("#cloud-config\npackages: [htop]\n"))))
                .withMandatory(Set.of(ItemName.NETWORK, ItemName.HOSTNAME, ItemName.USERS, ItemName.NOCLOUD));
    }

    /** Just a network config: the cheapest request that opens the image and writes to it. */
    public static InjectionRequest net(Path image) {
        return InjectionRequest.of(
                ImageRef.of(image.toString()), Injections.none().withNet("auto lo\n"));
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
