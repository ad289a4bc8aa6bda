package io.imginject.worker.testing;

import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A minimal real Debian 12 system in a host directory, built by debootstrap from the Debian mirror (minbase, no
 * recommends, a kernel and its initrd), for a guest that qemu boots. Nothing of it outlives the test: the packages
 * come from the mirror on every run (a cache directory shared by the guests of one run saves the second download).
 *
 * @param directory the guest's root
 * @param kernel the guest kernel, for qemu's direct kernel boot
 * @param initrd its initrd, which has the virtio drivers (Debian's default {@code MODULES=most})
 */
public record DebianTree(Path directory, Path kernel, Path initrd) {
    /** The mirror this host's apt uses (/etc/apt/sources.list.d/debian.sources). */
    public static final String MIRROR = "http://deb.debian.org/debian";
    /** What every booted guest needs: an init, device naming, a kernel, sshd, and ip to report its address. */
    private static final List<String> BASE =
            List.of("systemd-sysv", "udev", "linux-image-amd64", "openssh-server", "iproute2");
    /** A cold debootstrap here takes about two minutes; this bounds a stalled mirror. */
    private static final ProcessRunner DEBOOTSTRAP = new ProcessRunner(Duration.ofMinutes(10));

    /** Whether the mirror answers on its HTTP port within five seconds (a machine without network cannot build). */
    public static boolean mirrorReachable() {
        URI mirror = URI.create(MIRROR);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(mirror.getHost(), 80), 5000);
            return true;
        } catch (IOException unreachable) {
            return false;
        }
    }

    /**
     * Runs debootstrap into {@code directory} (which must not exist yet) with the base packages and {@code extra}
     * (the guest's network system), keeping the downloaded packages in {@code packageCache}.
     */
    public static DebianTree bootstrap(Path directory, List<String> extra, Path packageCache) {
        List<String> include = new ArrayList<>(BASE);
        include.addAll(extra);
        CommandResult result;
        try {
            result = DEBOOTSTRAP.runAllowingFailure(List.of(
                    "debootstrap",
                    "--variant=minbase",
                    "--cache-dir=" + packageCache.toAbsolutePath(),
                    "--include=" + String.join(",", include),
                    "bookworm",
                    directory.toString(),
                    MIRROR));
        } finally {
            unmountLeftovers(directory);
        }
        if (!result.succeeded()) {
            throw new AssertionError("debootstrap of " + include + " from " + MIRROR + " exited with "
                    + result.exitCode() + ":\n" + TextFiles.tail(result.stdout() + result.stderr(), 20)
                    + "\nthe end of its debootstrap.log:\n"
                    + TextFiles.tail(TextFiles.read(directory.resolve("debootstrap/debootstrap.log")), 30));
        }
        return new DebianTree(directory, only(directory, "vmlinuz-"), only(directory, "initrd.img-"));
    }

    /**
     * Copies the kernel and initrd to {@code elsewhere}, so that they stay when the tree goes (qemu boots them, not
     * the copies in the image).
     */
    public DebianTree bootFilesIn(Path elsewhere) throws IOException {
        Path kernelCopy = Files.copy(kernel, elsewhere.resolve(kernel.getFileName()));
        Path initrdCopy = Files.copy(initrd, elsewhere.resolve(initrd.getFileName()));
        return new DebianTree(directory, kernelCopy, initrdCopy);
    }

    /**
     * Deletes the tree, never crossing into another filesystem: a debootstrap killed half-way leaves the host's
     * /proc and /sys mounted inside it, which {@link #bootstrap} unmounts, and {@code rm --one-file-system} would
     * refuse rather than delete through.
     */
    public static void remove(Path directory) {
        if (Files.exists(directory)) {
            unmountLeftovers(directory);
            Commands.run("rm", "-rf", "--one-file-system", directory.toString());
        }
    }

    private static void unmountLeftovers(Path directory) {
        List<String> mounted;
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            mounted = lines.map(line -> line.split(" ", -1)[4])
                    .filter(point -> Path.of(point).startsWith(directory))
                    .sorted(Comparator.reverseOrder())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String point : mounted) {
            Commands.run("umount", point);
        }
    }

    private static Path only(Path directory, String prefix) {
        try (Stream<Path> files = Files.list(directory.resolve("boot"))) {
            List<Path> found = files.filter(f -> f.getFileName().toString().startsWith(prefix))
                    .toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one /boot/" + prefix + "* in the debootstrap tree, found " + found);
            }
            return found.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
