package io.imginject.worker.item;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.guest.MountedDirectory;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.Crypt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each injection item does to a guest, on a guest tree in a plain directory. */
class ItemRunnerTest {
    static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg user@example";
    static final Clock NOV_27_2026 = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path root;

    ItemRunner runner = new ItemRunner(NOV_27_2026);

    @BeforeEach
    void guest() throws Exception {
        HostRequirements.root();
        GuestTree.linuxRoot().materialize(root);
    }

    Map<ItemName, ItemResult> run(Injections inject) {
        return runner.run(inject, MountedDirectory.guestAt(root));
    }

    @Test
    void key_goes_into_roots_authorized_keys_with_ssh_modes_and_roots_ids() throws Exception {
        Map<ItemName, ItemResult> results = run(Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertThat(results.get(ItemName.KEY)).isEqualTo(ItemResult.ok("key added to /root/.ssh/authorized_keys"));
        assertThat(root.resolve("root/.ssh/authorized_keys")).hasContent(KEY + "\n");
        assertThat(modeAndOwner("root/.ssh")).isEqualTo("0700 0:0");
        assertThat(modeAndOwner("root/.ssh/authorized_keys")).isEqualTo("0600 0:0");
    }

    @Test
    void key_already_present_is_not_added_again_whatever_its_comment() throws Exception {
        Files.createDirectories(root.resolve("root/.ssh"));
        Files.writeString(
                root.resolve("root/.ssh/authorized_keys"),
                "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB other\n" + KEY.replace("user@example", "old comment"));

        Map<ItemName, ItemResult> first = run(Injections.none().withKey(SshPublicKey.parse(KEY)));
        Map<ItemName, ItemResult> second = run(Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertThat(first.get(ItemName.KEY).message()).contains("already present");
        assertThat(second.get(ItemName.KEY).message()).contains("already present");
        assertThat(Files.readString(root.resolve("root/.ssh/authorized_keys")).lines())
                .hasSize(2);
        assertThat(modeAndOwner("root/.ssh/authorized_keys")).isEqualTo("0600 0:0");
    }

    @Test
    void key_is_appended_on_a_line_of_its_own_after_a_file_without_final_newline() throws Exception {
        Files.createDirectories(root.resolve("root/.ssh"));
        Files.writeString(root.resolve("root/.ssh/authorized_keys"), "# managed keys");

        run(Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertThat(root.resolve("root/.ssh/authorized_keys")).hasContent("# managed keys\n" + KEY + "\n");
    }

    @Test
    void key_takes_roots_ids_from_the_guests_passwd() throws Exception {
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:10:root:/root:/bin/sh\n");

        run(Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertThat(modeAndOwner("root/.ssh/authorized_keys")).isEqualTo("0600 0:10");
    }

    @Test
    void key_on_an_selinux_guest_schedules_a_relabel_once_and_says_so() throws Exception {
        Files.createDirectories(root.resolve("etc/selinux"));
        Files.writeString(root.resolve("etc/selinux/config"), "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n");

        ItemResult first =
                run(Injections.none().withKey(SshPublicKey.parse(KEY))).get(ItemName.KEY);
        ItemResult second = run(Injections.none().withKey(SshPublicKey.parse(KEY.replace("IGq4", "IGq5"))))
                .get(ItemName.KEY);

        assertThat(root.resolve(".autorelabel")).exists();
        assertThat(first.message()).contains("/.autorelabel created");
        assertThat(second.message()).contains("already scheduled");
    }

    @Test
    void key_on_a_guest_without_selinux_leaves_no_relabel_marker() {
        run(Injections.none().withKey(SshPublicKey.parse(KEY)));

        assertThat(root.resolve(".autorelabel")).doesNotExist();
    }

    @Test
    void password_replaces_only_roots_hash_and_last_change_and_keeps_the_files_mode_and_owner() throws Exception {
        Map<ItemName, ItemResult> results = run(Injections.none().withAdminPassword(Secret.of("s3cret")));

        assertThat(results.get(ItemName.ADMIN_PASSWORD).status()).isEqualTo(Outcome.OK);
        List<String> lines = Files.readAllLines(root.resolve("etc/shadow"));
        String[] rootEntry = lines.get(0).split(":", -1);
        assertThat(rootEntry[1]).startsWith("$6$").hasSize(3 + 16 + 1 + 86);
        assertThat(Crypt.crypt("s3cret", rootEntry[1])).isEqualTo(rootEntry[1]);
        assertThat(rootEntry[2])
                .isEqualTo(Long.toString(LocalDate.of(2026, 11, 27).toEpochDay()));
        assertThat(String.join(":", Arrays.copyOfRange(rootEntry, 3, 9))).isEqualTo("0:99999:7:::");
        assertThat(lines.get(1)).isEqualTo("alice:!:19000:0:99999:7:::");
        assertThat(modeAndOwner("etc/shadow")).isEqualTo("0640 0:42");
    }

    @Test
    void password_uses_a_fresh_salt_for_each_guest_and_leaves_a_guest_that_has_it_alone(@TempDir Path other)
            throws Exception {
        GuestTree.linuxRoot().materialize(other);
        run(Injections.none().withAdminPassword(Secret.of("same")));
        String first = Files.readAllLines(root.resolve("etc/shadow")).get(0);
        runner.run(Injections.none().withAdminPassword(Secret.of("same")), MountedDirectory.guestAt(other));

        assertThat(Files.readAllLines(other.resolve("etc/shadow")).get(0))
                .as("another guest, the same password")
                .isNotEqualTo(first);
        run(Injections.none().withAdminPassword(Secret.of("same")));
        assertThat(Files.readAllLines(root.resolve("etc/shadow")).get(0))
                .as("the same guest again")
                .isEqualTo(first);
    }

    @Test
    void password_fails_clearly_for_a_guest_whose_shadow_has_no_root() throws Exception {
        Files.writeString(root.resolve("etc/shadow"), "alice:!:19000:0:99999:7:::\n");

        ItemResult result =
                run(Injections.none().withAdminPassword(Secret.of("x"))).get(ItemName.ADMIN_PASSWORD);

        assertThat(result)
                .isEqualTo(ItemResult.failed(
                        ErrorCode.GUEST_CONTENT_INVALID, "the guest's /etc/shadow has no entry for root"));
    }

    @Test
    void files_are_written_with_parents_and_the_requested_or_default_mode_and_owner() throws Exception {
        run(Injections.none()
                .withFiles(List.of(
                        FileInjection.of("/opt/app/conf/app.ini", bytes("a=1"))
                                .withMode(0600)
                                .withOwner(1000, 1000),
                        FileInjection.of("/etc/motd", bytes("hello")))));

        assertThat(root.resolve("opt/app/conf/app.ini")).hasContent("a=1");
        assertThat(modeAndOwner("opt/app/conf/app.ini")).isEqualTo("0600 1000:1000");
        assertThat(modeAndOwner("opt/app")).isEqualTo("0755 0:0");
        assertThat(modeAndOwner("etc/motd")).isEqualTo("0644 0:0");
    }

    @Test
    void a_file_replacing_an_existing_one_keeps_its_mode_and_owner_unless_told_otherwise() throws Exception {
        run(Injections.none().withFiles(List.of(FileInjection.of("/etc/shadow", bytes("root:x:1:::::::\n")))));

        assertThat(modeAndOwner("etc/shadow")).isEqualTo("0640 0:42");
    }

    @Test
    void files_report_every_failure_and_still_write_the_others() throws Exception {
        Files.createSymbolicLink(root.resolve("etc/evil"), Path.of("/etc/passwd"));

        ItemResult result = run(Injections.none()
                        .withFiles(List.of(
                                FileInjection.of("/etc/evil", bytes("x")), FileInjection.of("/etc/good", bytes("y")))))
                .get(ItemName.FILES);

        assertThat(result.status()).isEqualTo(Outcome.FAILED);
        assertThat(result.code()).isEqualTo(ErrorCode.UNSAFE_PATH);
        assertThat(result.message()).contains("1 of 2 files written").contains("/etc/evil is a symlink to /etc/passwd");
        assertThat(root.resolve("etc/good")).hasContent("y");
        assertThat(root.resolve("etc/passwd")).content().startsWith("root:x:0:0");
    }

    @Test
    void metadata_becomes_meta_js_and_net_becomes_interfaces() throws Exception {
        run(Injections.none().withMetadata(Map.of("role", "web")).withNet("auto eth0\niface eth0 inet dhcp\n"));

        assertThat(root.resolve("meta.js")).hasContent("{\"role\":\"web\"}");
        assertThat(root.resolve("etc/network/interfaces")).hasContent("auto eth0\niface eth0 inet dhcp\n");
        assertThat(modeAndOwner("etc/network")).isEqualTo("0755 0:0");
    }

    @Test
    void a_repeated_job_changes_nothing_the_second_time() throws Exception {
        Injections inject = Injections.none()
                .withMetadata(Map.of("role", "web"))
                .withNet("auto lo\n")
                .withFiles(List.of(FileInjection.of("/etc/motd", bytes("hello"))));
        run(inject);
        long inode = inode("etc/motd");

        Map<ItemName, ItemResult> second = run(inject);

        assertThat(inode("etc/motd")).isEqualTo(inode);
        assertThat(second.get(ItemName.FILES).message()).contains("1 already held this content");
        assertThat(second.get(ItemName.NET).message()).contains("already held");
        assertThat(second.get(ItemName.METADATA).message()).contains("already held");
    }

    private String modeAndOwner(String relative) throws Exception {
        Map<String, Object> a =
                Files.readAttributes(root.resolve(relative), "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        return String.format("%04o %s:%s", (Integer) a.get("mode") & 07777, a.get("uid"), a.get("gid"));
    }

    private long inode(String relative) throws Exception {
        return (Long) Files.getAttribute(root.resolve(relative), "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
