package io.imginject.worker.handler.nbd;

import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.NbdConnection;
import io.imginject.worker.image.DiskImage;
import java.time.Duration;
import java.util.List;

/**
 * The nbd transport for hosts with the nbd kernel module: a free /dev/nbdN from the {@link NbdDevicePool},
 * {@code qemu-nbd --connect} with the format given explicitly, kept in the foreground as a child of the JVM, and
 * ready once the kernel shows its server pid. Closing releases the {@link NbdConnection}, in every path.
 */
final class KernelNbdTransport implements NbdTransport {
    private final NbdDevicePool pool;
    private final Duration readyTimeout;
    private final HostResources resources;

    KernelNbdTransport(NbdDevicePool pool, Duration readyTimeout, HostResources resources) {
        this.pool = pool;
        this.readyTimeout = readyTimeout;
        this.resources = resources;
    }

    @Override
    public ExposedDisk expose(DiskImage image) {
        try (Cleanup cleanup = new Cleanup()) {
            NbdDevicePool.Lease lease = pool.lease();
            cleanup.push("release " + lease.device(), lease::close);
            resources.take(cleanup, new NbdConnection(lease.device()), () -> connect(image, lease));
            return new ExposedDisk(lease.device(), cleanup.handOver());
        }
    }

    private HelperProcess connect(DiskImage image, NbdDevicePool.Lease lease) {
        try {
            return HelperProcess.start(
                    "qemu-nbd",
                    List.of(
                            "qemu-nbd",
                            "--verbose",
                            "--connect=" + lease.device(),
                            "--discard=unmap",
                            image.qemuSpec()),
                    lease.serverPidFile(),
                    readyTimeout);
        } catch (CommandFailedException e) {
            throw QemuNbdErrors.of(image, e);
        }
    }
}
