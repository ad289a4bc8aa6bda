package io.imginject.worker.handler.guestfs;

import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.guest.ResolvingGuestFs;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.handler.ReleasingGuest;
import io.imginject.worker.handler.nbd.ServedImage;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.image.DiskImage;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Opens any image qemu reads inside a libguestfs appliance, one appliance per job, always shut down. The slowest
 * handler (a job takes seconds with KVM and 12-18 s under TCG on the README's benchmark machine, most of it the
 * appliance launch) and the only one that never lets the host kernel parse the image's filesystems.
 */
public final class GuestfsHandler implements ImageHandler {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "guestfs-launch-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private final GuestfsSettings settings;
    private final Path workBase;
    private final HostResources resources;
    private final Optional<String> hostProblem;

    /**
     * @param workBase a host directory only root can enter, for qemu-nbd's socket and files read out of the appliance
     * @param resources where the qemu-nbd serving the image to the appliance is recorded
     * @param hostProblem what keeps guestfs from working here, from {@link GuestfsSupport#problem()}
     */
    public GuestfsHandler(GuestfsSettings settings, Path workBase, HostResources resources, Optional<String> hostProblem) {
        this.settings = settings;
        this.workBase = workBase;
        this.resources = resources;
        this.hostProblem = hostProblem;
    }

    @Override
    public HandlerName name() {
        return HandlerName.GUESTFS;
    }

    @Override
    public Optional<String> unavailableReason(DiskImage image) {
        return hostProblem;
    }

    @Override
    public OpenGuest open(DiskImage image, PartitionSelector partition) {
        try (Cleanup cleanup = new Cleanup()) {
            ServedImage served = ServedImage.serve(image, ServedImage.Lifetime.UNTIL_ITS_CLIENT_LEAVES, workBase, settings.launchTimeout(), resources);
            cleanup.push("stop serving " + image, served::close);
            Appliance appliance = Appliance.launch(settings, image, served, WATCHDOG);
            cleanup.push("shut down the appliance for " + image, appliance::shutdown);
            appliance.mount(partition);
            return new ReleasingGuest(new ResolvingGuestFs(new ApplianceNodes(appliance.handle(), workBase)), FilesystemDriver.APPLIANCE,
                    cleanup.handOver());
        }
    }
}
