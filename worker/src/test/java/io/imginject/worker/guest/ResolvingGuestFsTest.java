package io.imginject.worker.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.HostRequirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path handling inside a guest (the rules every handler shares), on a plain directory standing in for a mounted guest. {@code outside} stands
 * for the host: a directory beside the guest root that nothing may ever reach.
 */
class ResolvingGuestFsTest {
    @TempDir
    Path temp;

    Path root;
    Path outside;
    GuestFs guest;

    @BeforeEach
    void setUp() throws Exception {
        HostRequirements.root();
        root = Files.createDirectories(temp.resolve("guest"));
        outside = Files.createDirectories(temp.resolve("host"));
        Files.writeString(outside.resolve("secret"), "host data");
        guest = MountedDirectory.guestAt(root);
    }

    @Test
    void follows_an_absolute_symlink_from_the_guest_root_not_the_host_root() throws Exception {
        Files.createDirectories(root.resolve("real/etc"));
        Files.createSymbolicLink(root.resolve("etc"), Path.of("/real/etc"));

        guest.writeFile(GuestPath.of("/etc/motd"), bytes("hi"), 0644, 0, 0);

        assertThat(root.resolve("real/etc/motd")).hasContent("hi");
    }

    @Test
    void stops_dot_dot_at_the_guest_root() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/escape"), Path.of("../../../../../" + outside.getFileName()));

        guest.mkdirs(GuestPath.of("/etc/escape"), 0755, 0, 0);
        guest.writeFile(GuestPath.of("/etc/escape/secret"), bytes("guest data"), 0644, 0, 0);

        assertThat(root.resolve(outside.getFileName() + "/secret")).hasContent("guest data");
        assertThat(outside.resolve("secret")).hasContent("host data");
    }

    @Test
    void never_reaches_a_host_directory_an_absolute_symlink_names() throws Exception {
        Files.createSymbolicLink(root.resolve("data"), outside);

        guest.mkdirs(GuestPath.of("/data"), 0755, 0, 0);
        guest.writeFile(GuestPath.of("/data/secret"), bytes("guest data"), 0600, 0, 0);

        assertThat(outside.resolve("secret")).hasContent("host data");
        assertThat(root.resolve(outside.toString().substring(1)).resolve("secret"))
                .hasContent("guest data");
    }

    @Test
    void refuses_to_write_through_a_symlink_at_the_end_of_a_path() throws Exception {
        Files.createSymbolicLink(root.resolve("motd"), outside.resolve("secret"));

        assertThatThrownBy(() -> guest.writeFile(GuestPath.of("/motd"), bytes("x"), 0644, 0, 0))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("/motd is a symlink to " + outside.resolve("secret"));
        assertThat(outside.resolve("secret")).hasContent("host data");
        assertThat(Files.isSymbolicLink(root.resolve("motd"))).isTrue();
    }

    @Test
    void refuses_to_chmod_or_chown_through_a_symlink() throws Exception {
        Files.createSymbolicLink(root.resolve("link"), outside.resolve("secret"));
        int modeBefore = mode(outside.resolve("secret"));

        assertThatThrownBy(() -> guest.setMode(GuestPath.of("/link"), 0777)).isInstanceOf(UnsafePathException.class);
        assertThatThrownBy(() -> guest.setOwner(GuestPath.of("/link"), 1234, 1234))
                .isInstanceOf(UnsafePathException.class);
        assertThat(mode(outside.resolve("secret"))).isEqualTo(modeBefore);
    }

    @Test
    void reports_a_symlink_loop_instead_of_spinning() throws Exception {
        Files.createSymbolicLink(root.resolve("a"), Path.of("/b"));
        Files.createSymbolicLink(root.resolve("b"), Path.of("/a"));

        assertThatThrownBy(() -> guest.writeFile(GuestPath.of("/a/file"), bytes("x"), 0644, 0, 0))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("symlink loop");
    }

    @Test
    void refuses_a_path_that_runs_through_a_regular_file() throws Exception {
        Files.writeString(root.resolve("file"), "x");

        assertThatThrownBy(() -> guest.mkdirs(GuestPath.of("/file/sub"), 0755, 0, 0))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("not a directory");
    }

    @Test
    @Timeout(10)
    void refuses_to_read_a_fifo_rather_than_block_on_it() throws Exception {
        Commands.run("mkfifo", root.resolve("pipe").toString());

        assertThatThrownBy(() -> guest.read(GuestPath.of("/pipe"), 1024))
                .isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("only regular files are read");
        assertThatThrownBy(() -> guest.writeFile(GuestPath.of("/pipe"), bytes("x"), 0644, 0, 0))
                .isInstanceOf(UnsafePathException.class);
    }

    @Test
    void refuses_to_read_more_than_asked() throws Exception {
        Files.writeString(root.resolve("big"), "0123456789");

        assertThatThrownBy(() -> guest.read(GuestPath.of("/big"), 5))
                .isInstanceOf(InjectException.class)
                .extracting(e -> ((InjectException) e).code())
                .isEqualTo(ErrorCode.GUEST_CONTENT_INVALID);
        assertThat(guest.read(GuestPath.of("/big"), 10))
                .hasValueSatisfying(b -> assertThat(b).hasSize(10));
    }

    @Test
    void creates_missing_directories_with_the_given_mode_and_owner_and_leaves_existing_ones_alone() throws Exception {
        Files.createDirectories(root.resolve("home"));
        Files.setAttribute(root.resolve("home"), "unix:mode", 0751);

        guest.mkdirs(GuestPath.of("/home/bob/.ssh"), 0700, 1001, 1002);

        assertThat(mode(root.resolve("home"))).isEqualTo(0751);
        assertThat(attributes(root.resolve("home/bob")))
                .containsEntry("mode", 0700)
                .containsEntry("uid", 1001)
                .containsEntry("gid", 1002);
        assertThat(attributes(root.resolve("home/bob/.ssh")))
                .containsEntry("mode", 0700)
                .containsEntry("uid", 1001);
    }

    @Test
    void writes_a_file_whole_with_mode_and_owner_including_special_bits_and_leaves_no_temporary_file()
            throws Exception {
        Files.writeString(root.resolve("tool"), "old");

        guest.writeFile(GuestPath.of("/tool"), bytes("new"), 04755, 7, 8);

        assertThat(root.resolve("tool")).hasContent("new");
        assertThat(attributes(root.resolve("tool")))
                .containsEntry("mode", 04755)
                .containsEntry("uid", 7)
                .containsEntry("gid", 8);
        try (var files = Files.list(root)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("tool");
        }
    }

    @Test
    void stat_describes_a_symlink_without_following_it() throws Exception {
        Files.createSymbolicLink(root.resolve("link"), Path.of("/nowhere"));

        assertThat(guest.stat(GuestPath.of("/link"))).hasValueSatisfying(s -> {
            assertThat(s.isSymlink()).isTrue();
            assertThat(s.linkTarget()).contains("/nowhere");
        });
        assertThat(guest.stat(GuestPath.of("/missing"))).isEmpty();
    }

    @Test
    void reads_through_symlinks_inside_the_guest() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/real"), "content");
        Files.createSymbolicLink(root.resolve("etc/alias"), Path.of("../etc/./real"));

        assertThat(guest.read(GuestPath.of("/etc/alias"), 100))
                .hasValueSatisfying(
                        b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("content"));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int mode(Path path) throws Exception {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static Map<String, Object> attributes(Path path) throws Exception {
        Map<String, Object> attributes =
                new HashMap<>(Files.readAttributes(path, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS));
        attributes.put("mode", (Integer) attributes.get("mode") & 07777);
        return attributes;
    }
}
