package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images built to attack the host (nova's CVE-2012-3360, -3361, -3447): whatever they contain, nothing outside
 * the image changes, and the reply names the problem. {@code hostTarget} is a host directory the images point
 * their symlinks at; the host's /etc/shadow is watched too.
 */
@ExtendWith(NoHostLeaks.class)
class HostileImagesTest {
    static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg user@example";

    @RegisterExtension
    static final SharedWorker shared =
            new SharedWorker(List.of(HandlerName.LOOP), 2, "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk");

    static WorkerFixture worker() {
        return shared.get();
    }

    @TempDir
    static Path hostTarget;

    String hostStateBefore;

    @BeforeAll
    static void prepare() throws Exception {
        Files.writeString(hostTarget.resolve("authorized_keys"), "host keys\n");
    }

    @BeforeEach
    void recordHost() throws Exception {
        hostStateBefore = hostState();
    }

    @AfterEach
    void hostIsUnchanged() throws Exception {
        assertThat(hostState()).as("the host files the images aim at").isEqualTo(hostStateBefore);
    }

    /** A digest of the host target directory's listing, modes and contents, and of the host's /etc/shadow. */
    static String hostState() throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> walk = Files.walk(hostTarget)) {
            for (Path path : walk.sorted().toList()) {
                digest.update(path.toString().getBytes(StandardCharsets.UTF_8));
                digest.update(Files.getAttribute(path, "unix:mode").toString().getBytes(StandardCharsets.UTF_8));
                if (Files.isRegularFile(path)) {
                    digest.update(Files.readAllBytes(path));
                }
            }
        }
        digest.update(Files.readAllBytes(Path.of("/etc/shadow")));
        digest.update(
                Files.getAttribute(Path.of("/etc"), "unix:mode").toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest.digest());
    }

    static TestImages.Built image(String name, GuestTree tree) throws Exception {
        return TestImages.build(worker().images(), name, Layout.GPT, Fs.EXT4, tree);
    }

    static InjectionReply inject(TestImages.Built image, Injections inject) throws Exception {
        return worker().call(InjectionRequest.of(ImageRef.of(image.path().toString()), inject));
    }

    static void assertItemRefused(ItemResult item, String messagePart) {
        assertThat(item.status()).isEqualTo(Outcome.FAILED);
        assertThat(item.code()).isEqualTo(ErrorCode.UNSAFE_PATH);
        assertThat(item.message()).contains(messagePart);
    }

    @Test
    void an_fstab_mountpoint_that_climbs_out_of_the_guest_is_mounted_inside_it() throws Exception {
        TestImages.Built image = image(
                "fstab-escape.img",
                GuestTree.linuxRoot()
                        .file(
                                "/etc/fstab",
                                "LABEL=root / auto defaults 0 1\nLABEL=" + TestImages.GPT_BOOT_LABEL
                                        + " /boot ext4 defaults 0 2\n",
                                0644,
                                0,
                                0)
                        .dir("/srv/boot", 0755, 0, 0)
                        .symlink("/boot", "../../../../../../../srv/boot"));

        InjectionReply reply = inject(
                image, Injections.none().withFiles(List.of(FileInjection.of("/boot/evil", Requests.utf8("x\n")))));

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        try (ImageReader boot = ImageReader.open(TestImages.gptBootFilesystem(image))) {
            assertThat(boot.read("/evil"))
                    .as("the boot filesystem, mounted on the guest's /srv/boot")
                    .isEqualTo("x\n");
        }
    }

    @Test
    void ssh_directory_as_a_symlink_to_an_absolute_host_directory() throws Exception {
        TestImages.Built image =
                image("ssh-abs.img", GuestTree.linuxRoot().symlink("/root/.ssh", hostTarget.toString()));

        InjectionReply reply = inject(image, Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertItemRefused(reply.items().get("key"), "/root/.ssh is a symlink to " + hostTarget);
        assertThat(hostTarget.resolve("authorized_keys")).hasContent("host keys\n");
        Fsck.assertClean(image);
    }

    @Test
    void authorized_keys_as_a_relative_symlink_climbing_to_etc_shadow() throws Exception {
        TestImages.Built image = image(
                "keys-climb.img",
                GuestTree.linuxRoot()
                        .dir("/root/.ssh", 0700, 0, 0)
                        .symlink("/root/.ssh/authorized_keys", "../../../../etc/shadow"));

        InjectionReply reply = inject(image, Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertItemRefused(
                reply.items().get("key"), "/root/.ssh/authorized_keys is a symlink to ../../../../etc/shadow");
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/etc/shadow")).doesNotContain("ssh-ed25519");
            assertThat(guest.ownership("/etc/shadow")).hasToString("0640 0:42");
        }
    }

    @Test
    void a_file_path_with_dot_dot_is_refused_before_anything_is_opened() throws Exception {
        TestImages.Built image = image("dotdot.img", GuestTree.linuxRoot());

        worker().publishRaw(
                        worker().replyingProperties("dd").build(),
                        ("{\"v\":1,\"image\":{\"path\":\"" + image.path()
                                        + "\"},\"inject\":{\"files\":[{\"path\":\"/etc/../../../" + hostTarget
                                        + "/x\",\"content_b64\":\"eA==\"}]}}")
                                .getBytes(StandardCharsets.UTF_8));
        InjectionReply reply = worker().nextRawReply().reply();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reply.error().problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("$.inject.files[0].path");
            assertThat(p.message()).contains("'..'");
        });
        worker().nextDeadLetter();
    }

    @Test
    void a_guest_symlink_whose_dot_dots_climb_past_the_root_stays_inside_the_guest() throws Exception {
        TestImages.Built image =
                image("climb-dir.img", GuestTree.linuxRoot().symlink("/etc/app", "../../../../../../.." + hostTarget));

        InjectionReply reply = inject(
                image,
                Injections.none()
                        .withFiles(List.of(FileInjection.of(
                                "/etc/app/authorized_keys", "guest\n".getBytes(StandardCharsets.UTF_8)))));

        assertThat(reply.isOk()).as("%s", reply).isTrue();
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read(hostTarget + "/authorized_keys")).isEqualTo("guest\n");
        }
    }

    @Test
    void an_absolute_symlink_on_the_way_to_a_file_is_followed_inside_the_guest() throws Exception {
        TestImages.Built image = image("abs-dir.img", GuestTree.linuxRoot().symlink("/opt", hostTarget.toString()));

        InjectionReply reply = inject(
                image,
                Injections.none()
                        .withFiles(List.of(
                                FileInjection.of("/opt/authorized_keys", "guest\n".getBytes(StandardCharsets.UTF_8)))));

        assertThat(reply.isOk()).as("%s", reply).isTrue();
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read(hostTarget + "/authorized_keys")).isEqualTo("guest\n");
        }
    }

    @Test
    void a_symlink_loop_is_reported_not_followed_forever() throws Exception {
        TestImages.Built image = image(
                "loop.img",
                GuestTree.linuxRoot().symlink("/etc/network", "/etc/network2").symlink("/etc/network2", "network"));

        InjectionReply reply = inject(image, Injections.none().withNet("auto lo\n"));

        assertItemRefused(reply.items().get("net"), "symlink loop");
    }

    @Test
    @Timeout(60)
    void a_fifo_where_a_file_goes_is_refused_without_hanging_the_job() throws Exception {
        TestImages.Built image = image("fifo.img", GuestTree.linuxRoot().fifo("/meta.js"));

        InjectionReply reply = inject(image, Injections.none().withMetadata(Map.of("a", "b")));

        assertItemRefused(reply.items().get("metadata"), "/meta.js is a device, fifo or socket");
    }

    @Test
    void etc_shadow_as_a_symlink_to_the_hosts_shadow_is_not_followed() throws Exception {
        TestImages.Built image = image(
                "shadow-link.img",
                GuestTree.empty()
                        .dir("/etc", 0755, 0, 0)
                        .file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644, 0, 0)
                        .file("/etc/fstab", "\n", 0644, 0, 0)
                        .dir("/usr/bin", 0755, 0, 0)
                        .symlink("/bin", "usr/bin")
                        .symlink("/etc/shadow", "/etc/../../etc/shadow-host"));

        InjectionReply reply = inject(image, Injections.none().withAdminPassword(Secret.of("pw")));

        assertItemRefused(reply.items().get("admin_password"), "/etc/shadow is a symlink");
    }
}
