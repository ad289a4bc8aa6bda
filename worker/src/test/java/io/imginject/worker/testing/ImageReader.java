package io.imginject.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;

/**
 * Looks into a built image read-only, to check what a job left there: qcow2 is first converted to raw, then the
 * root filesystem is loop-mounted {@code ro} (without journal replay) on a private directory. Closing unmounts;
 * the loop device clears itself.
 */
public final class ImageReader implements AutoCloseable {
    private final Path mountPoint;
    private final Path rawCopy;

    private ImageReader(Path mountPoint, Path rawCopy) {
        this.mountPoint = mountPoint;
        this.rawCopy = rawCopy;
    }

    public static ImageReader open(TestImages.Built image) throws IOException {
        Path raw = image.path();
        Path rawCopy = null;
        if (image.path().toString().endsWith(".qcow2")) {
            rawCopy = image.path().resolveSibling(image.path().getFileName() + ".raw-view");
            Commands.run(
                    "qemu-img",
                    "convert",
                    "-f",
                    "qcow2",
                    "-O",
                    "raw",
                    image.path().toString(),
                    rawCopy.toString());
            raw = rawCopy;
        }
        Path mountPoint = Files.createTempDirectory("imginject-read-");
        String options = "ro,loop,nosuid,nodev,noexec,offset=" + image.offset() + ",sizelimit=" + image.size()
                + (image.fs() == TestImages.Fs.XFS ? ",norecovery,nouuid" : ",noload");
        try {
            Commands.run("mount", "-t", image.fs().type(), "-o", options, raw.toString(), mountPoint.toString());
        } catch (RuntimeException e) {
            Files.delete(mountPoint);
            if (rawCopy != null) {
                Files.delete(rawCopy);
            }
            throw e;
        }
        return new ImageReader(mountPoint, rawCopy);
    }

    /**
     * Waits, up to a minute, until a job that sends no reply (a cast, a fire-and-forget request) has left
     * {@code guestPath} in {@code image}. The image is looked into only while no loop device or process of the
     * worker holds it: {@code mount -o loop} would reuse the worker's own loop device, mounted read-write. Tools
     * reach the image through the worker's descriptor ({@code /proc/<pid>/fd/N}), so a process holding it is found
     * by its open files, not by its command line.
     */
    public static void awaitFile(TestImages.Built image, String guestPath) {
        Awaitility.await()
                .atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(Commands.run(
                                            "losetup",
                                            "--associated",
                                            image.path().toString())
                                    .strip())
                            .as("loop devices on the image")
                            .isEmpty();
                    assertThat(processesHoldingOpen(image.path()))
                            .as("processes holding the image open")
                            .isEmpty();
                    try (ImageReader guest = open(image)) {
                        assertThat(guest.exists(guestPath))
                                .as("%s in the image", guestPath)
                                .isTrue();
                    }
                });
    }

    /** The host path of a guest path in the mounted image. */
    /** The pids of the processes, this JVM included, that have {@code file} open. */
    static List<Long> processesHoldingOpen(Path file) throws IOException {
        Path real = file.toRealPath();
        List<Long> holders = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                if (holdsOpen(process, real)) {
                    holders.add(Long.parseLong(process.getFileName().toString()));
                }
            }
        }
        return holders;
    }

    private static boolean holdsOpen(Path process, Path file) {
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path descriptor : descriptors) {
                if (linksTo(descriptor, file)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | SecurityException goneOrClosed) {
            return false;
        }
    }

    private static boolean linksTo(Path descriptor, Path file) {
        try {
            return Files.readSymbolicLink(descriptor).equals(file);
        } catch (IOException closedMeanwhile) {
            return false;
        }
    }

    public Path path(String guestPath) {
        return mountPoint.resolve(guestPath.substring(1));
    }

    public boolean exists(String guestPath) {
        return Files.exists(path(guestPath), LinkOption.NOFOLLOW_LINKS);
    }

    public String read(String guestPath) throws IOException {
        return Files.readString(path(guestPath), StandardCharsets.UTF_8);
    }

    /** Mode bits (07777), uid and gid, not following a symlink. */
    public Ownership ownership(String guestPath) throws IOException {
        Map<String, Object> attributes =
                Files.readAttributes(path(guestPath), "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        return new Ownership((Integer) attributes.get("mode") & 07777, (Integer) attributes.get("uid"), (Integer)
                attributes.get("gid"));
    }

    /** Mode bits and owner of a file. */
    public record Ownership(int mode, int uid, int gid) {
        @Override
        public String toString() {
            return String.format("%04o %d:%d", mode, uid, gid);
        }
    }

    @Override
    public void close() throws IOException {
        Commands.run("umount", mountPoint.toString());
        Files.delete(mountPoint);
        if (rawCopy != null) {
            Files.delete(rawCopy);
        }
    }
}
