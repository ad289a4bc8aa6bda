package io.imginject.worker.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A guest booted under qemu with software emulation (TCG: this host has no usable KVM) from a raw disk whose first
 * partition is the root, by direct kernel boot (no bootloader in the image). One virtio NIC on qemu's user-mode
 * network (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3), in PCI slot 3 so systemd names it {@value #NIC_NAME};
 * qemu's DHCP server hands out addresses from {@value #DHCP_START} only, and the SSH port on 127.0.0.1 is forwarded
 * to {@value #GUEST_ADDRESS} alone: the guest is reached only if it configured that address itself, as a static
 * address, never by DHCP (whose first lease would otherwise be that very address). The serial console goes to a
 * file. Closing kills qemu, whatever state the guest is in.
 */
public final class QemuGuest implements AutoCloseable {
    public static final String GUEST_ADDRESS = "10.0.2.15";
    public static final String GATEWAY = "10.0.2.2";
    public static final String DNS = "10.0.2.3";
    public static final String NIC_NAME = "ens3";
    static final String DHCP_START = "10.0.2.100";

    private final Process qemu;
    private final Path console;
    private final Path output;
    private final int sshPort;

    private QemuGuest(Process qemu, Path console, Path output, int sshPort) {
        this.qemu = qemu;
        this.console = console;
        this.output = output;
        this.sshPort = sshPort;
    }

    /**
     * Boots {@code disk} with {@code kernel} and {@code initrd}, the NIC's MAC {@code mac}, 1 GiB and two CPUs; the
     * console and qemu's own messages go to files in {@code directory}.
     */
    public static QemuGuest boot(Path disk, Path kernel, Path initrd, String mac, Path directory) throws IOException {
        int port = freePort();
        Path console = directory.resolve("console.log");
        Path output = directory.resolve("qemu.log");
        List<String> argv = List.of(
                "qemu-system-x86_64",
                "-accel",
                "tcg",
                "-m",
                "1024",
                "-smp",
                "2",
                "-display",
                "none",
                "-monitor",
                "none",
                "-no-reboot",
                "-serial",
                "file:" + console,
                "-kernel",
                kernel.toString(),
                "-initrd",
                initrd.toString(),
                "-append",
                "root=/dev/vda1 rw console=ttyS0 panic=-1",
                "-drive",
                "file=" + disk + ",format=raw,if=virtio",
                "-netdev",
                "user,id=n0,net=10.0.2.0/24,dhcpstart=" + DHCP_START + ",hostfwd=tcp:127.0.0.1:" + port + "-"
                        + GUEST_ADDRESS + ":22",
                "-device",
                "virtio-net-pci,netdev=n0,addr=0x3,mac=" + mac);
        Process qemu = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        return new QemuGuest(qemu, console, output, port);
    }

    /** The port on 127.0.0.1 that reaches the guest's sshd. */
    public int sshPort() {
        return sshPort;
    }

    /** Why the guest can no longer come up, if qemu has ended. */
    public Optional<String> gone() {
        if (qemu.isAlive()) {
            return Optional.empty();
        }
        return Optional.of("qemu exited with " + qemu.exitValue() + " ("
                + TextFiles.read(output).strip() + ")");
    }

    /** The last {@code lines} lines the guest printed on its serial console. */
    public String consoleTail(int lines) {
        return TextFiles.tail(TextFiles.read(console), lines);
    }

    /** Everything the guest printed on its serial console. */
    public String console() {
        return TextFiles.read(console);
    }

    /** Stops qemu (SIGTERM, then SIGKILL after 10 s) and waits until it is gone, even when interrupted. */
    @Override
    public void close() {
        if (!qemu.isAlive()) {
            return;
        }
        qemu.destroy();
        boolean interrupted = false;
        try {
            qemu.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (qemu.isAlive()) {
            qemu.destroyForcibly();
            qemu.onExit().join();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
