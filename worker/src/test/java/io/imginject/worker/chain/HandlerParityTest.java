package io.imginject.worker.chain;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.testing.Distributions;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.file.Files;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One injection suite, three handlers: the same request into the same kinds of image (raw and qcow2; whole disk,
 * MBR and GPT; ext4 and xfs) gives the same files, modes, owners and replies, whichever handler opens the image.
 * Loop takes raw images only. Every handler here does real work: loop and nbd mount on this host (nbd through
 * qemu-nbd and nbdfuse), guestfs launches a real appliance.
 */
@ExtendWith(NoHostLeaks.class)
class HandlerParityTest {
    static final Map<String, ItemResult> EXPECTED_ITEMS = Map.of(
            "key", ItemResult.ok("key added to /root/.ssh/authorized_keys"),
            "net", ItemResult.ok("wrote /etc/network/interfaces"),
            "metadata", ItemResult.ok("wrote /meta.js (1 key)"),
            "admin_password", ItemResult.ok("root password set in /etc/shadow (SHA-512 crypt)"),
            "files", ItemResult.ok("wrote 3 of 3 files"));

    static final Map<String, String> EXPECTED_GUEST = expectedGuest();

    private static final String SSHD_REFUSES = "; the guest's /etc/ssh/sshd_config says ";
    private static final String SEED = "/var/lib/cloud/seed/nocloud";

    /** {@link Requests#guestItems}'s items, the first time. */
    static final Map<String, ItemResult> EXPECTED_GUEST_ITEMS = Map.of(
            "key",
            ItemResult.ok("key added to /root/.ssh/authorized_keys" + SSHD_REFUSES
                    + "PermitRootLogin no, so sshd will refuse root's key"),
            "network",
            ItemResult.ok("netplan (/usr/sbin/netplan, os-release ubuntu 22.04); wrote /etc/netplan/50-imginject.yaml"),
            "hostname",
            ItemResult.ok("host name web1.example.com: wrote /etc/hostname, /etc/hosts"),
            "users",
            ItemResult.ok("alice: 1 of 1 keys added to /home/alice/.ssh/authorized_keys (1000:1000), password set"
                    + SSHD_REFUSES + "PasswordAuthentication no, so sshd will refuse alice's password"),
            "nocloud",
            ItemResult.ok("NoCloud seed for instance i-0001: wrote " + SEED + "/meta-data, " + SEED + "/user-data, "
                    + SEED + "/network-config"));

    /** The same items a second time: each finds its work done and writes nothing. */
    static final Map<String, ItemResult> EXPECTED_GUEST_ITEMS_AGAIN = Map.of(
            "key",
            ItemResult.ok("key already present in /root/.ssh/authorized_keys; nothing added" + SSHD_REFUSES
                    + "PermitRootLogin no, so sshd will refuse root's key"),
            "network",
            ItemResult.ok("netplan (/usr/sbin/netplan, os-release ubuntu 22.04); wrote nothing;"
                    + " /etc/netplan/50-imginject.yaml already held this config"),
            "hostname",
            ItemResult.ok("host name already web1.example.com in /etc/hostname and /etc/hosts"),
            "users",
            ItemResult.ok("alice: 0 of 1 keys added to /home/alice/.ssh/authorized_keys (1000:1000),"
                    + " password already set" + SSHD_REFUSES
                    + "PasswordAuthentication no, so sshd will refuse alice's password"),
            "nocloud",
            ItemResult.ok("NoCloud seed for instance i-0001: already in " + SEED));

    static final Map<String, String> EXPECTED_GUEST_OF_GUEST_ITEMS = expectedGuestOfGuestItems();

    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS),
            2,
            "losetup",
            "mount",
            "blkid",
            "mkfs.ext4",
            "mkfs.xfs",
            "sfdisk",
            "qemu-img",
            "qemu-nbd",
            "nbdfuse",
            "fusermount3",
            "e2fsck",
            "xfs_repair");

    static WorkerFixture worker() {
        return shared.get();
    }

    @BeforeAll
    static void guestfsWorks() {
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (HandlerName handler : HandlerName.values()) {
            for (String format : List.of("raw", "qcow2")) {
                if (handler == HandlerName.LOOP && format.equals("qcow2")) {
                    continue;
                }
                for (Fs fs : Fs.values()) {
                    for (Layout layout : Layout.values()) {
                        cases.add(Arguments.of(handler, format, layout, fs));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {3} on {2}, {1}")
    @MethodSource("cases")
    void every_handler_leaves_the_same_guest_and_sends_the_same_reply(
            HandlerName handler, String format, Layout layout, Fs fs) throws Exception {
        TestImages.Built raw = TestImages.build(
                worker().images(), handler + "-" + layout + "-" + fs + ".img", layout, fs, GuestTree.linuxRoot());
        TestImages.Built image = format.equals("qcow2") ? TestImages.toQcow2(raw) : raw;

        InjectionReply reply = worker().call(Requests.everything(image.path()).withHandlers(List.of(handler)));

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.handler()).isEqualTo(handler.wireName());
        assertThat(reply.items()).isEqualTo(EXPECTED_ITEMS);
        assertThat(guestState(image)).isEqualTo(EXPECTED_GUEST);
        Fsck.assertClean(image);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(HandlerName.class)
    void every_handler_writes_below_a_mountpoint_into_the_filesystem_the_guest_mounts_there(HandlerName handler)
            throws Exception {
        TestImages.Built image = imageWithItsOwnBoot(worker(), handler);

        InjectionReply reply = worker().call(bootFileRequest(image).withHandlers(List.of(handler)));

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertTheFileLandedInBoot(image);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(HandlerName.class)
    void every_handler_writes_the_guest_items_alike_and_a_second_run_writes_nothing(HandlerName handler)
            throws Exception {
        InjectionReply first = assertGuestItemsAlikeAndIdempotent(worker(), handler);

        assertThat(first.handler()).isEqualTo(handler.wireName());
    }

    /**
     * Sends {@link Requests#guestItems} through {@code handler} into an Ubuntu guest with netplan whose sshd takes
     * neither root nor passwords (the latter said in a file its sshd_config Includes, before a line that says
     * otherwise), checks the replies and the guest, then sends it again through loop, which must
     * find every item's work done and leave every byte as the first run wrote it (password hashes included).
     *
     * @return the first reply
     */
    static InjectionReply assertGuestItemsAlikeAndIdempotent(WorkerFixture worker, HandlerName handler)
            throws Exception {
        TestImages.Built image = TestImages.build(
                worker.images(),
                handler + "-guest-items.img",
                Layout.GPT,
                Fs.EXT4,
                Distributions.ubuntuNetplan()
                        .dir("/etc/ssh/sshd_config.d", 0755, 0, 0)
                        .file(
                                "/etc/ssh/sshd_config",
                                "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nPasswordAuthentication yes\n",
                                0644,
                                0,
                                0)
                        .file(
                                "/etc/ssh/sshd_config.d/60-cloudimg-settings.conf",
                                "PasswordAuthentication no\n",
                                0644,
                                0,
                                0));

        InjectionReply first = worker.call(Requests.guestItems(image.path()).withHandlers(List.of(handler)));
        Map<String, String> afterFirst = guestState(image, EXPECTED_GUEST_OF_GUEST_ITEMS.keySet(), false);
        InjectionReply second = worker.call(Requests.guestItems(image.path()).withHandlers(List.of(HandlerName.LOOP)));

        assertThat(first.status()).as("%s", first).isEqualTo(InjectionReply.Status.OK);
        assertThat(first.items()).isEqualTo(EXPECTED_GUEST_ITEMS);
        assertThat(guestState(image, EXPECTED_GUEST_OF_GUEST_ITEMS.keySet(), true))
                .isEqualTo(EXPECTED_GUEST_OF_GUEST_ITEMS);
        assertThat(second.items()).as("the second run, through loop").isEqualTo(EXPECTED_GUEST_ITEMS_AGAIN);
        assertThat(guestState(image, EXPECTED_GUEST_OF_GUEST_ITEMS.keySet(), false))
                .as("every byte as the first run left it")
                .isEqualTo(afterFirst);
        Fsck.assertClean(image);
        return first;
    }

    /** A GPT image whose guest mounts its first partition on /boot by its fstab. */
    static TestImages.Built imageWithItsOwnBoot(WorkerFixture worker, HandlerName handler) throws Exception {
        GuestTree tree = GuestTree.linuxRoot()
                .file(
                        "/etc/fstab",
                        "LABEL=root / auto defaults 0 1\nLABEL=" + TestImages.GPT_BOOT_LABEL
                                + " /boot ext4 defaults 0 2\n",
                        0644,
                        0,
                        0)
                .dir("/boot", 0755, 0, 0);
        return TestImages.build(worker.images(), handler + "-fstab.img", Layout.GPT, Fs.EXT4, tree);
    }

    static InjectionRequest bootFileRequest(TestImages.Built image) {
        return InjectionRequest.of(
                ImageRef.of(image.path().toString()),
                Injections.none()
                        .withFiles(
                                List.of(FileInjection.of("/boot/grub/custom.cfg", Requests.utf8("set timeout=1\n")))));
    }

    /** The file for /boot is in the boot filesystem, nothing of it on the root's /boot, and both are clean. */
    static void assertTheFileLandedInBoot(TestImages.Built image) throws Exception {
        TestImages.Built boot = TestImages.gptBootFilesystem(image);
        try (ImageReader bootFilesystem = ImageReader.open(boot)) {
            assertThat(bootFilesystem.read("/grub/custom.cfg")).isEqualTo("set timeout=1\n");
        }
        try (ImageReader root = ImageReader.open(image)) {
            assertThat(root.exists("/boot/grub"))
                    .as("nothing written under the mountpoint on the root filesystem")
                    .isFalse();
        }
        Fsck.assertClean(image);
        Fsck.assertClean(boot);
    }

    /** Mode, owner and content of everything the request touched, with the password hash's random salt masked. */
    static Map<String, String> guestState(TestImages.Built image) throws Exception {
        return guestState(image, EXPECTED_GUEST.keySet(), true);
    }

    /** Mode, owner and content of {@code paths}; {@code masked}: SHA-512 crypt hashes in /etc/shadow as {@code <sha512>}. */
    static Map<String, String> guestState(TestImages.Built image, Collection<String> paths, boolean masked)
            throws Exception {
        Map<String, String> state = new LinkedHashMap<>();
        try (ImageReader guest = ImageReader.open(image)) {
            for (String path : paths) {
                String content = Files.isDirectory(guest.path(path)) ? "dir" : guest.read(path);
                if (path.equals("/etc/shadow") && masked) {
                    content = content.replaceAll(
                            "(?m)^([a-z_][a-z0-9_-]*):\\$6\\$[./0-9A-Za-z]{16}\\$[./0-9A-Za-z]{86}:", "$1:<sha512>:");
                }
                state.put(path, guest.ownership(path) + " " + content);
            }
        }
        return state;
    }

    /** {@link Requests#STATIC_NETWORK} as netplan: the guest's config and the seed's network-config alike. */
    private static final String NETPLAN = """
            # written by imginject from the request's network item
            network:
              version: 2
              ethernets:
                "ens3":
                  match:
                    macaddress: "52:54:00:12:34:56"
                  set-name: "ens3"
                  mtu: 1450
                  dhcp4: false
                  dhcp6: false
                  accept-ra: true
                  addresses:
                    - "10.0.2.15/24"
                  routes:
                    - to: "0.0.0.0/0"
                      via: "10.0.2.2"
                    - to: "192.168.0.0/16"
                      via: "10.0.2.3"
                  nameservers:
                    addresses: ["10.0.2.3"]
                    search: ["example.com"]
            """;

    static Map<String, String> expectedGuestOfGuestItems() {
        long today = LocalDate.now(ZoneOffset.UTC).toEpochDay();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("/root/.ssh/authorized_keys", "0600 0:0 " + Requests.KEY + "\n");
        expected.put("/etc/netplan/50-cloud-init.yaml", "0600 0:0 network:\n  version: 2\n");
        expected.put("/etc/netplan/50-imginject.yaml", "0600 0:0 " + NETPLAN);
        expected.put("/etc/hostname", "0644 0:0 web1.example.com\n");
        expected.put(
                "/etc/hosts",
                "0644 0:0 127.0.0.1 localhost\n127.0.1.1\tweb1.example.com web1\n\n::1 ip6-localhost ip6-loopback\n");
        expected.put("/home/alice/.ssh", "0700 1000:1000 dir");
        expected.put("/home/alice/.ssh/authorized_keys", "0600 1000:1000 " + Requests.KEY + "\n");
        expected.put("/etc/shadow", "0640 0:42 root:*:19000:0:99999:7:::\nalice:<sha512>:" + today + ":0:99999:7:::\n");
        expected.put(SEED, "0755 0:0 dir");
        expected.put(SEED + "/meta-data", "0600 0:0 instance-id: i-0001\nlocal-hostname: web1.example.com\n");
        expected.put(SEED + "/user-data", "0600 0:0 #cloud-config\npackages: [htop]\n");
        expected.put(SEED + "/network-config", "0600 0:0 " + NETPLAN);
        return expected;
    }

    static Map<String, String> expectedGuest() {
        long today = LocalDate.now(ZoneOffset.UTC).toEpochDay();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("/root/.ssh", "0700 0:0 dir");
        expected.put("/root/.ssh/authorized_keys", "0600 0:0 " + Requests.KEY + "\n");
        expected.put("/etc/network", "0755 0:0 dir");
        expected.put("/etc/network/interfaces", "0644 0:0 auto eth0\niface eth0 inet dhcp\n");
        expected.put("/meta.js", "0644 0:0 {\"role\":\"web\"}");
        expected.put("/etc/shadow", "0640 0:42 root:<sha512>:" + today + ":0:99999:7:::\nalice:!:19000:0:99999:7:::\n");
        expected.put("/etc/motd", "0644 0:0 hello\n");
        expected.put("/home/alice/notes", "0640 1000:1000 x");
        expected.put("/opt/app", "0755 0:0 dir");
        expected.put("/opt/app/conf", "0755 0:0 dir");
        expected.put("/opt/app/conf/app.ini", "4750 0:0 [app]\nsetuid=yes\n");
        return expected;
    }
}
