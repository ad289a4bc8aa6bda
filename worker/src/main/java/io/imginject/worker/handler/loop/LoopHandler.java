package io.imginject.worker.handler.loop;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.handler.DriverChoice;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.ReleasingGuest;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.QemuWriteLock;
import java.util.Optional;

/**
 * Opens raw images through a loop device on the host: the fastest handler (tens of milliseconds). What reads the
 * filesystem on it is the host kernel for a trusted image, fuse2fs for any other ({@link DriverChoice}).
 */
public final class LoopHandler implements ImageHandler {
    private final RawDiskMounter mounter;
    private final DriverChoice drivers;
    private final Optional<String> hostProblem;

    /** @param hostProblem what keeps loop from working on this host, from {@link LoopSupport#problem()} */
    public LoopHandler(RawDiskMounter mounter, DriverChoice drivers, Optional<String> hostProblem) {
        this.mounter = mounter;
        this.drivers = drivers;
        this.hostProblem = hostProblem;
    }

    @Override
    public HandlerName name() {
        return HandlerName.LOOP;
    }

    @Override
    public Optional<String> unavailableReason(DiskImage image) {
        if (image.format() != ImageFormat.RAW) {
            return Optional.of("loop reads raw images only; this one is " + image.format());
        }
        return hostProblem.or(() -> drivers.problemFor(image));
    }

    /**
     * Takes qemu's write lock on the image first (no qemu is involved to take it), so a running VM's image is
     * refused and no VM can start on the image while it is mounted.
     */
    @Override
    public OpenGuest open(DiskImage image, PartitionSelector partition) {
        try (Cleanup cleanup = new Cleanup()) {
            QemuWriteLock lock = QemuWriteLock.acquire(image.file());
            cleanup.push("release qemu's lock on " + image, lock::close);
            OpenGuest guest = mounter.mount(image.toolPath(), partition, drivers.driverFor(image));
            cleanup.push("unmount the guest", guest::close);
            return new ReleasingGuest(guest.fs(), guest.filesystem(), cleanup.handOver());
        }
    }
}
