package io.imginject.worker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a test image holds, described in code and written to a host directory from which mkfs builds the
 * filesystem. {@link #linuxRoot()} is a minimal guest that passes libguestfs's OS inspection.
 */
public final class GuestTree {
    private final List<Entry> entries = new ArrayList<>();

    private sealed interface Entry permits Dir, File, Symlink, Fifo {
        String path();
    }

    private record Dir(String path, int mode, int uid, int gid) implements Entry {}

    @SuppressWarnings("ArrayRecordComponent") // carries content to Files.write; never compared
    private record File(String path, byte[] content, int mode, int uid, int gid) implements Entry {}

    private record Symlink(String path, String target) implements Entry {}

    private record Fifo(String path) implements Entry {}

    public static GuestTree empty() {
        return new GuestTree();
    }

    /** A small Linux root: passwd, shadow, group, fstab, hosts, /bin -> usr/bin, /root, a user alice (1000). */
    public static GuestTree linuxRoot() {
        return new GuestTree()
                .dir("/etc", 0755, 0, 0)
                .file("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 0644, 0, 0)
                .file(
                        "/etc/passwd",
                        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
                        0644,
                        0,
                        0)
                .file("/etc/shadow", "root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n", 0640, 0, 42)
                .file("/etc/group", "root:x:0:\nshadow:x:42:\nalice:x:1000:\n", 0644, 0, 0)
                .file("/etc/fstab", "LABEL=root / auto defaults 0 1\n", 0644, 0, 0)
                .file("/etc/hosts", "127.0.0.1 localhost\n", 0644, 0, 0)
                .dir("/usr/bin", 0755, 0, 0)
                .symlink("/bin", "usr/bin")
                .dir("/root", 0700, 0, 0)
                .dir("/home/alice", 0755, 1000, 1000)
                .dir("/tmp", 01777, 0, 0);
    }

    public GuestTree dir(String path, int mode, int uid, int gid) {
        entries.add(new Dir(path, mode, uid, gid));
        return this;
    }

    public GuestTree file(String path, String content, int mode, int uid, int gid) {
        entries.add(new File(path, content.getBytes(StandardCharsets.UTF_8), mode, uid, gid));
        return this;
    }

    /** A file whose content is these exact bytes, UTF-8 or not. */
    public GuestTree file(String path, byte[] content, int mode, int uid, int gid) {
        entries.add(new File(path, content.clone(), mode, uid, gid));
        return this;
    }

    public GuestTree symlink(String path, String target) {
        entries.add(new Symlink(path, target));
        return this;
    }

    public GuestTree fifo(String path) {
        entries.add(new Fifo(path));
        return this;
    }

    /** Writes the tree under {@code root}, owners and modes included (needs root). */
    public void materialize(Path root) throws IOException {
        Files.createDirectories(root);
        for (Entry entry : entries) {
            Path host = root.resolve(entry.path().substring(1));
            Files.createDirectories(host.getParent());
            if (entry instanceof Dir d) {
                Files.createDirectories(host);
                own(host, d.mode(), d.uid(), d.gid());
            } else if (entry instanceof File f) {
                Files.write(host, f.content());
                own(host, f.mode(), f.uid(), f.gid());
            } else if (entry instanceof Symlink s) {
                Files.createSymbolicLink(host, Path.of(s.target()));
            } else {
                Commands.run("mkfifo", host.toString());
            }
        }
    }

    private static void own(Path host, int mode, int uid, int gid) throws IOException {
        Files.setAttribute(host, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(host, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(host, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }
}
