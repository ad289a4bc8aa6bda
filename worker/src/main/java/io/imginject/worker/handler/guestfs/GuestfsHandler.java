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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens any image qemu reads inside a libguestfs appliance, one appliance per job, always shut down. The slowest
 * handler (a job takes seconds with KVM and 14-15 s under TCG on the README's benchmark machine, most of it the
 * appliance launch) and the only one that never lets the host kernel parse the image's filesystems.
 */
public final class GuestfsHandler implements ImageHandler {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "guestfs-launch-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private static final Logger log = LoggerFactory.getLogger(GuestfsHandler.class);

    private final GuestfsSettings settings;
    private final ApplianceAcceleration acceleration;
    private final Path workBase;
    private final HostResources resources;
    private final Optional<String> hostProblem;

    /**
     * @param acceleration whether appliances run under TCG
     * @param workBase a host directory only root can enter, for qemu-nbd's socket and files read out of the appliance
     * @param resources where the qemu-nbd serving the image to the appliance is recorded
     * @param hostProblem what keeps guestfs from working here, from {@link GuestfsSupport#problem()}
     */
    public GuestfsHandler(
            GuestfsSettings settings,
            ApplianceAcceleration acceleration,
            Path workBase,
            HostResources resources,
            Optional<String> hostProblem) {
        this.settings = settings;
        this.acceleration = acceleration;
        this.workBase = workBase;
        this.resources = resources;
        this.hostProblem = hostProblem;
    }

    /**
     * The handler for this host: what keeps guestfs from working here, if anything, and otherwise whether appliances
     * run under TCG, found out once now (for {@code guestfs-force-tcg auto}, by running a KVM guest) and logged.
     */
    public static GuestfsHandler create(GuestfsSettings settings, Path workBase, HostResources resources) {
        Optional<String> problem = GuestfsSupport.problem();
        ApplianceAcceleration acceleration = problem.isPresent()
                ? new ApplianceAcceleration(false, "none: guestfs cannot run here")
                : ApplianceAcceleration.decide(settings.tcg(), workBase);
        problem.ifPresentOrElse(
                p -> log.info("guestfs is not available: {}", p),
                () -> log.info("guestfs appliances run under {}", acceleration.reason()));
        return new GuestfsHandler(settings, acceleration, workBase, resources, problem);
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
            ServedImage served = ServedImage.serve(
                    image, ServedImage.Lifetime.UNTIL_ITS_CLIENT_LEAVES, workBase, settings.launchTimeout(), resources);
            cleanup.push("stop serving " + image, served::close);
            Appliance appliance = Appliance.launch(settings, acceleration, image, served, WATCHDOG);
            cleanup.push("shut down the appliance for " + image, appliance::shutdown);
            ResolvingGuestFs guest = new ResolvingGuestFs(new ApplianceNodes(appliance.handle(), workBase));
            appliance.mount(partition, guest);
            return new ReleasingGuest(guest, FilesystemDriver.APPLIANCE, cleanup.handOver());
        }
    }
}
