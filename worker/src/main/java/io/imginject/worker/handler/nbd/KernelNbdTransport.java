package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.HeldResource;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.image.DiskImage;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

/**
 * The nbd transport for hosts with the nbd kernel module: a free /dev/nbdN from the {@link NbdDevicePool},
 * {@code qemu-nbd --connect} with the format given explicitly, kept in the foreground as a child of the JVM, and
 * ready once the kernel shows its server pid. Closing disconnects the device and waits for qemu-nbd to exit, in
 * every path.
 */
final class KernelNbdTransport implements NbdTransport {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    private final NbdDevicePool pool;
    private final ProcessRunner runner;
    private final Duration readyTimeout;
    private final ResourceJournal journal;

    KernelNbdTransport(NbdDevicePool pool, ProcessRunner runner, Duration readyTimeout, ResourceJournal journal) {
        this.pool = pool;
        this.runner = runner;
        this.readyTimeout = readyTimeout;
        this.journal = journal;
    }

    @Override
    public ExposedDisk expose(DiskImage image) {
        Cleanup cleanup = new Cleanup();
        try {
            NbdDevicePool.Lease lease = pool.lease();
            cleanup.push("release " + lease.device(), lease::close);
            ResourceJournal.Entry connection = journal.acquired(HeldResource.nbd(lease.device()));
            HelperProcess qemuNbd;
            try {
                qemuNbd = HelperProcess.start("qemu-nbd", List.of("qemu-nbd", "--verbose", "--connect=" + lease.device(),
                        "--discard=unmap", image.qemuSpec()),
                        lease.serverPidFile(), readyTimeout);
            } catch (CommandFailedException e) {
                connection.released();
                throw QemuNbdErrors.of(image, e);
            }
            cleanup.push("disconnect " + lease.device(), connection, () -> {
                runner.run("qemu-nbd", "--disconnect", lease.device().toString());
                qemuNbd.awaitExit(EXIT_TIMEOUT);
                if (Files.exists(lease.serverPidFile())) {
                    throw new InjectException(ErrorCode.CLEANUP_FAILED, lease.device() + " is still connected after qemu-nbd exited");
                }
            });
            return new ExposedDisk(lease.device(), cleanup.handOver());
        } catch (RuntimeException e) {
            throw cleanup.releaseAfter(e);
        }
    }
}
