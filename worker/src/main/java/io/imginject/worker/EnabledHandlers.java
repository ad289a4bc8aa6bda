package io.imginject.worker;

import io.imginject.protocol.HandlerName;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.guestfs.GuestfsHandler;
import io.imginject.worker.handler.loop.LoopHandler;
import io.imginject.worker.handler.loop.LoopSupport;
import io.imginject.worker.handler.nbd.NbdHandler;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.LoopDevices;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ProcessRunner;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Builds the handlers a worker's config enables, each given only its own settings: the wiring, so that no handler
 * depends on the worker's configuration.
 */
final class EnabledHandlers {
    private EnabledHandlers() {
    }

    /**
     * @param workBase a directory only root can enter, for mount points, sockets, FUSE exports and downloads
     * @param resources where the handlers take host resources
     */
    static Map<HandlerName, ImageHandler> enabled(WorkerConfig config, ProcessRunner runner, Path workBase, HostResources resources) {
        RawDiskMounter mounter = new RawDiskMounter(runner, new FilesystemProbe(runner), new LoopDevices(runner), new Mounts(runner), workBase,
                resources);
        Map<HandlerName, ImageHandler> handlers = new EnumMap<>(HandlerName.class);
        for (HandlerName name : config.handlers()) {
            handlers.put(name, switch (name) {
                case LOOP -> new LoopHandler(mounter, LoopSupport.problem());
                case NBD -> NbdHandler.create(config.nbd(), mounter, workBase, resources);
                case GUESTFS -> GuestfsHandler.create(config.guestfs(), workBase, resources);
            });
        }
        return handlers;
    }
}
