package io.imginject.worker.testing;

import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.handler.DriverChoice;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.fuse.Fuse2fs;
import io.imginject.worker.handler.fuse.Fuse2fsSupport;
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
import io.imginject.worker.image.ImageTrust;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * A stand-in for a worker caught mid-job, run as its own JVM by crash-recovery tests: it opens a raw image through
 * the loop path (the kernel mounts it), a qcow2 image through nbd (qemu-nbd and nbdfuse) and another raw image
 * through the loop path read by fuse2fs, records all of it in its journal as the
 * worker does, says {@code holding}, and waits to be killed.
 *
 * <p>Arguments: run directory, raw image, qcow2 image, raw image for fuse2fs.
 */
public final class HoldingChild {
    private HoldingChild() {}

    public static void main(String[] args) throws Exception {
        Path runDir = Path.of(args[0]);
        Path work = Files.createDirectories(runDir.resolve("work"));
        ProcessRunner runner = new ProcessRunner(Duration.ofMinutes(1));
        HostResources resources =
                new HostResources(ResourceJournal.open(runDir.resolve("journal")), new ReleaseTools(runner, runDir));
        Path fuseBase = Files.createDirectories(runDir.resolve("fuse"));
        Files.setPosixFilePermissions(fuseBase, PosixFilePermissions.fromString("rwx--x--x"));
        Fuse2fsSupport fuse2fs = Fuse2fsSupport.check(WorkerConfig.DEFAULT_FUSE_USER, fuseBase, runner);
        RawDiskMounter mounter = new RawDiskMounter(
                runner,
                new FilesystemProbe(runner),
                new LoopDevices(runner),
                new Mounts(runner),
                work,
                resources,
                fuse2fs.user().map(user -> new Fuse2fs(user, fuseBase, Duration.ofSeconds(10), resources)));
        mounter.mount(
                HeldImageFile.open(Path.of(args[1]), true).toolPath(),
                new PartitionSelector.FindRoot(),
                FilesystemDriver.KERNEL);
        Path qcow2 = Path.of(args[2]);
        NbdHandler nbd = NbdHandler.create(
                new NbdSettings(NbdSettings.Transport.USERSPACE, Duration.ofSeconds(10)),
                mounter,
                new DriverChoice(new ImageTrust(List.of(qcow2.getParent())), fuse2fs),
                work,
                resources);
        nbd.open(DiskImage.of(HeldImageFile.open(qcow2, true), ImageFormat.QCOW2), new PartitionSelector.FindRoot());
        mounter.mount(
                HeldImageFile.open(Path.of(args[3]), true).toolPath(),
                new PartitionSelector.FindRoot(),
                FilesystemDriver.FUSE2FS);
        System.out.println("holding");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10).toMillis());
    }
}
