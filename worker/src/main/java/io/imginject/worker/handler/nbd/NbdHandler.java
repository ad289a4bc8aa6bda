package io.imginject.worker.handler.nbd;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.handler.DriverChoice;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.ReleasingGuest;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.image.DiskImage;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Opens any image qemu reads (qcow2, raw, vmdk, vdi, vhdx, qed, vpc): qemu-nbd serves it as a raw disk (through
 * the kernel's nbd device, or nbdfuse where the kernel has none) and the loop path mounts that. Partitions and the
 * guest filesystem behave exactly as with loop, and the same driver reads the filesystem: the host kernel for a
 * trusted image, fuse2fs for any other ({@link DriverChoice}).
 */
public final class NbdHandler implements ImageHandler {
    private final RawDiskMounter mounter;
    private final DriverChoice drivers;
    private final Optional<NbdTransport> transport;
    private final Optional<String> hostProblem;

    private NbdHandler(
            RawDiskMounter mounter,
            DriverChoice drivers,
            Optional<NbdTransport> transport,
            Optional<String> hostProblem) {
        this.mounter = mounter;
        this.drivers = drivers;
        this.transport = transport;
        this.hostProblem = hostProblem;
    }

    /**
     * The nbd handler on the transport {@code settings} ask for, or one that says why the host cannot serve it.
     *
     * @param workBase a directory only root can enter, for sockets, pid files, FUSE mount points and device locks
     */
    public static NbdHandler create(
            NbdSettings settings,
            RawDiskMounter mounter,
            DriverChoice drivers,
            Path workBase,
            HostResources resources) {
        NbdDevicePool pool = systemPool(workBase);
        NbdSupport.Choice choice = NbdSupport.choose(settings.transport(), pool.kernelSupportsNbd());
        Optional<NbdTransport> transport = choice.transport()
                .map(t -> t == NbdSettings.Transport.KERNEL
                        ? new KernelNbdTransport(pool, settings.readyTimeout(), resources)
                        : new UserspaceNbdTransport(workBase, settings.readyTimeout(), resources));
        return new NbdHandler(mounter, drivers, transport, choice.problem());
    }

    static NbdDevicePool systemPool(Path workBase) {
        return new NbdDevicePool(Path.of("/sys/block"), Path.of("/dev"), workBase.resolve("nbd-locks"));
    }

    @Override
    public HandlerName name() {
        return HandlerName.NBD;
    }

    @Override
    public Optional<String> unavailableReason(DiskImage image) {
        return hostProblem.or(() -> drivers.problemFor(image));
    }

    @Override
    public OpenGuest open(DiskImage image, PartitionSelector partition) {
        try (Cleanup cleanup = new Cleanup()) {
            ExposedDisk disk = transport.orElseThrow().expose(image);
            cleanup.push("stop serving " + image, disk::close);
            OpenGuest guest = mounter.mount(disk.path(), partition, drivers.driverFor(image));
            cleanup.push("unmount the guest", guest::close);
            return new ReleasingGuest(guest.fs(), guest.filesystem(), cleanup.handOver());
        }
    }
}
