package io.imginject.worker.item;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.GuestUser;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.NoCloudSeed;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.codec.digest.Crypt;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The hostname, users and nocloud items on real images, through the real broker and each host-mount handler. */
@ExtendWith(NoHostLeaks.class)
class GuestIdentityItemsTest {
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

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void hostname_rewrites_the_127_0_1_1_line_and_leaves_the_others(HandlerName handler) throws Exception {
        TestImages.Built image = build(Distributions.ubuntuNetplan().file("/etc/hostname", "ubuntu\n", 0644, 0, 0));

        ItemResult first = call(image, Injections.none().withHostname("web1.example.com"), handler)
                .items()
                .get("hostname");
        ItemResult second = call(image, Injections.none().withHostname("web1.example.com"), handler)
                .items()
                .get("hostname");

        assertThat(first.message()).isEqualTo("host name web1.example.com: wrote /etc/hostname, /etc/hosts");
        assertThat(second.message()).isEqualTo("host name already web1.example.com in /etc/hostname and /etc/hosts");
        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/etc/hostname")).isEqualTo("web1.example.com\n");
            assertThat(reader.read("/etc/hosts"))
                    .isEqualTo(
                            "127.0.0.1 localhost\n127.0.1.1\tweb1.example.com web1\n\n::1 ip6-localhost ip6-loopback\n");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP"})
    void hostname_adds_a_127_0_1_1_line_after_localhost_where_there_is_none(HandlerName handler) throws Exception {
        TestImages.Built image = build(
                GuestTree.linuxRoot().file("/etc/hosts", "# static\n127.0.0.1 localhost\n10.0.0.9 db", 0644, 0, 0));

        call(image, Injections.none().withHostname("web1"), handler);

        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/etc/hosts"))
                    .isEqualTo("# static\n127.0.0.1 localhost\n127.0.1.1\tweb1\n10.0.0.9 db");
            assertThat(reader.ownership("/etc/hostname").mode()).isEqualTo(0644);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void users_get_keys_with_their_own_ids_and_home_and_a_password_and_absent_users_are_named(HandlerName handler)
            throws Exception {
        TestImages.Built image = build(GuestTree.linuxRoot()
                .file(
                        "/etc/passwd",
                        "root:x:0:0:root:/root:/bin/sh\ndebian:x:1000:1001::/srv/debian:/bin/bash\n",
                        0644,
                        0,
                        0)
                .file("/etc/shadow", "root:*:19000:0:99999:7:::\ndebian:!:19000:0:99999:7:::\n", 0640, 0, 42)
                .dir("/srv/debian", 0750, 1000, 1001)
                .dir("/etc/ssh/sshd_config.d", 0755, 0, 0)
                .fifo("/etc/ssh/sshd_config.d/50-fifo.conf")
                .file("/etc/ssh/sshd_config", """
                        Include /etc/ssh/sshd_config.d/*.conf
                        PasswordAuthentication no
                        Match User x
                          PasswordAuthentication yes
                        """, 0644, 0, 0));
        Injections inject = Injections.none()
                .withUsers(List.of(
                        new GuestUser(
                                "debian", List.of(SshPublicKey.parse(Requests.KEY)), Optional.of(Secret.of("pw1"))),
                        new GuestUser("ghost", List.of(SshPublicKey.parse(Requests.KEY)), Optional.empty())));

        ItemResult first = call(image, inject, handler).items().get("users");
        ItemResult second = call(image, inject, handler).items().get("users");

        assertThat(first.code()).isEqualTo(ErrorCode.GUEST_CONTENT_INVALID);
        assertThat(first.message())
                .startsWith(
                        "1 of 2 users done (debian: 1 of 1 keys added to /srv/debian/.ssh/authorized_keys (1000:1001),"
                                + " password set; the guest's /etc/ssh/sshd_config says PasswordAuthentication no, so sshd will refuse debian's password"
                                + " (some of the files it Includes could not be read))")
                .endsWith("ghost: the guest's /etc/passwd has no such user; this worker does not create users");
        assertThat(second.message()).contains("debian: 0 of 1 keys added").contains("password already set");
        assertThat(first.message() + second.message()).doesNotContain("pw1");
        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/srv/debian/.ssh/authorized_keys")).isEqualTo(Requests.KEY + "\n");
            assertThat(reader.ownership("/srv/debian/.ssh")).hasToString("0700 1000:1001");
            assertThat(reader.ownership("/srv/debian/.ssh/authorized_keys")).hasToString("0600 1000:1001");
            String debian = reader.read("/etc/shadow")
                    .lines()
                    .filter(l -> l.startsWith("debian:"))
                    .findFirst()
                    .orElseThrow();
            assertThat(Crypt.crypt("pw1", debian.split(":", -1)[1])).isEqualTo(debian.split(":", -1)[1]);
            assertThat(reader.exists("/home/ghost")).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP"})
    void a_root_key_and_password_the_guests_sshd_refuses_are_reported(HandlerName handler) throws Exception {
        TestImages.Built image = build(GuestTree.linuxRoot()
                .dir("/etc/ssh", 0755, 0, 0)
                .file("/etc/ssh/sshd_config", "# hardened\nPermitRootLogin no\n", 0644, 0, 0));

        InjectionReply reply = call(
                image,
                Injections.none().withKey(SshPublicKey.parse(Requests.KEY)).withAdminPassword(Secret.of("pw")),
                handler);

        assertThat(reply.items().get("key").message())
                .isEqualTo("key added to /root/.ssh/authorized_keys; the guest's"
                        + " /etc/ssh/sshd_config says PermitRootLogin no, so sshd will refuse root's key");
        assertThat(reply.items().get("admin_password").message())
                .endsWith("; the guest's /etc/ssh/sshd_config says PermitRootLogin no,"
                        + " so sshd will refuse root's password");
    }

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP"})
    void a_password_the_guest_already_has_is_left_as_it_is_and_another_replaces_it(HandlerName handler)
            throws Exception {
        TestImages.Built image = build(GuestTree.linuxRoot());
        Injections same = Injections.none().withAdminPassword(Secret.of("pw"));

        call(image, same, handler);
        String afterFirst = shadow(image);
        ItemResult again = call(image, same, handler).items().get("admin_password");
        String afterSecond = shadow(image);
        ItemResult other = call(image, Injections.none().withAdminPassword(Secret.of("pw2")), handler)
                .items()
                .get("admin_password");

        assertThat(again.message()).isEqualTo("root password already set in /etc/shadow (SHA-512 crypt)");
        assertThat(afterSecond).as("salt and all").isEqualTo(afterFirst);
        assertThat(other.message()).isEqualTo("root password set in /etc/shadow (SHA-512 crypt)");
        String root = shadow(image).lines().findFirst().orElseThrow().split(":", -1)[1];
        assertThat(Crypt.crypt("pw2", root)).isEqualTo(root);
    }

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void nocloud_seed_holds_meta_data_user_data_and_the_network_as_network_config(HandlerName handler)
            throws Exception {
        TestImages.Built image = build(Distributions.debianIfupdown());
        Injections inject = Injections.none()
                .withHostname("web1")
                .withNetwork(Requests.STATIC_NETWORK)
                .withNocloud(new NoCloudSeed("i-0001", Secret.of("#cloud-config\npackages: [htop]\n")));

        InjectionReply first = call(image, inject, handler);
        InjectionReply second = call(image, inject, handler);

        assertThat(first.items().get("nocloud").message())
                .isEqualTo(
                        "NoCloud seed for instance i-0001: wrote"
                                + " /var/lib/cloud/seed/nocloud/meta-data, /var/lib/cloud/seed/nocloud/user-data, /var/lib/cloud/seed/nocloud/network-config");
        assertThat(second.items().get("nocloud").message())
                .isEqualTo("NoCloud seed for instance i-0001: already in /var/lib/cloud/seed/nocloud");
        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/var/lib/cloud/seed/nocloud/meta-data"))
                    .isEqualTo("instance-id: i-0001\nlocal-hostname: web1\n");
            assertThat(reader.read("/var/lib/cloud/seed/nocloud/user-data"))
                    .isEqualTo("#cloud-config\npackages: [htop]\n");
            assertThat(reader.read("/var/lib/cloud/seed/nocloud/network-config"))
                    .contains("network:\n  version: 2\n")
                    .contains("        - \"10.0.2.15/24\"\n");
            assertThat(reader.ownership("/var/lib/cloud/seed/nocloud/user-data"))
                    .hasToString("0600 0:0");
            assertThat(reader.ownership("/var/lib/cloud/seed/nocloud")).hasToString("0755 0:0");
        }
    }

    private static String shadow(TestImages.Built image) throws Exception {
        try (ImageReader reader = ImageReader.open(image)) {
            return reader.read("/etc/shadow");
        }
    }

    static TestImages.Built build(GuestTree tree) throws Exception {
        return TestImages.build(
                shared.get().images(), "identity-" + images.incrementAndGet() + ".img", Layout.GPT, Fs.EXT4, tree);
    }

    static InjectionReply call(TestImages.Built image, Injections inject, HandlerName handler) throws Exception {
        InjectionReply reply = shared.get()
                .call(InjectionRequest.of(ImageRef.of(image.path().toString()), inject)
                        .withHandlers(List.of(handler)));
        assertThat(reply.handler()).as("%s", reply).isEqualTo(handler.wireName());
        return reply;
    }
}
