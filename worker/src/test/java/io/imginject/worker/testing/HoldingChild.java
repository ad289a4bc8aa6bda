package io.imginject.worker.testing;

import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.nbd.NbdHandler;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.LoopDevices;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.ReleaseTools;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.HeldImageFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A stand-in for a worker caught mid-job, run as its own JVM by crash-recovery tests: it opens a raw image through
 * the loop path and a qcow2 image through nbd (qemu-nbd and nbdfuse), records all of it in its journal as the
 * worker does, says {@code holding}, and waits to be killed.
 *
 * <p>Arguments: run directory, raw image, qcow2 image.
 */
public final class HoldingChild {
    private HoldingChild() {
    }

    public static void main(String[] args) throws Exception {
        Path runDir = Path.of(args[0]);
        Path work = Files.createDirectories(runDir.resolve("work"));
        ProcessRunner runner = new ProcessRunner(Duration.ofMinutes(1));
        HostResources resources = new HostResources(ResourceJournal.open(runDir.resolve("journal")), new ReleaseTools(runner, runDir));
        RawDiskMounter mounter = new RawDiskMounter(runner, new FilesystemProbe(runner), new LoopDevices(runner), new Mounts(runner), work, resources);
        mounter.mount(HeldImageFile.open(Path.of(args[1]), true).toolPath(), new PartitionSelector.FindRoot());
        NbdHandler nbd = NbdHandler.create(new NbdSettings(NbdSettings.Transport.USERSPACE, Duration.ofSeconds(10)), mounter, work, resources);
        nbd.open(DiskImage.of(HeldImageFile.open(Path.of(args[2]), true), ImageFormat.QCOW2), new PartitionSelector.FindRoot());
        System.out.println("holding");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10).toMillis());
    }
}
