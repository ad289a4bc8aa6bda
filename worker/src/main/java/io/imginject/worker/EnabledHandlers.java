package io.imginject.worker;

import io.imginject.protocol.HandlerName;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.handler.DriverChoice;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.fuse.Fuse2fs;
import io.imginject.worker.handler.fuse.Fuse2fsSupport;
import io.imginject.worker.handler.guestfs.GuestfsHandler;
import io.imginject.worker.handler.loop.LoopHandler;
import io.imginject.worker.handler.loop.LoopSupport;
import io.imginject.worker.handler.nbd.NbdHandler;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.LoopDevices;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.image.ImageTrust;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the handlers a worker's config enables, each given only its own settings: the wiring, so that no handler
 * depends on the worker's configuration.
 */
final class EnabledHandlers {
    private static final Logger log = LoggerFactory.getLogger(EnabledHandlers.class);

    private EnabledHandlers() {}

    /**
     * @param workBase a directory only root can enter, for mount points, sockets, FUSE exports and downloads
     * @param fuseBase a root-owned directory fuse2fs's user may pass through but not list, for its mount points
     * @param resources where the handlers take host resources
     */
    static Map<HandlerName, ImageHandler> enabled(
            WorkerConfig config, ProcessRunner runner, Path workBase, Path fuseBase, HostResources resources) {
        Fuse2fsSupport support = Fuse2fsSupport.check(config.fuseUser(), fuseBase, runner);
        support.problem()
                .ifPresent(
                        problem -> log.warn("loop and nbd open only images under a trusted image root: {}", problem));
        DriverChoice drivers = new DriverChoice(new ImageTrust(config.trustedImageRoots()), support);
        RawDiskMounter mounter = new RawDiskMounter(
                runner,
                new FilesystemProbe(runner),
                new LoopDevices(runner),
                new Mounts(runner),
                workBase,
                resources,
                support.user().map(user -> new Fuse2fs(user, fuseBase, config.commandTimeout(), resources)));
        Map<HandlerName, ImageHandler> handlers = new EnumMap<>(HandlerName.class);
        for (HandlerName name : config.handlers()) {
            handlers.put(
                    name,
                    switch (name) {
                        case LOOP -> new LoopHandler(mounter, drivers, LoopSupport.problem());
                        case NBD -> NbdHandler.create(config.nbd(), mounter, drivers, workBase, resources);
                        case GUESTFS -> GuestfsHandler.create(config.guestfs(), workBase, resources);
                    });
        }
        return handlers;
    }
}
