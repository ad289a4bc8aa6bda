package io.imginject.worker.handler;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.disk.DiskRegion;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.disk.FilesystemType;
import io.imginject.worker.disk.PartitionTable;
import io.imginject.worker.disk.PartitionTableReader;
import io.imginject.worker.disk.ProbedFilesystem;
import io.imginject.worker.disk.UnsupportedGuests;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FstabEntry;
import io.imginject.worker.guest.GuestPath;
import io.imginject.worker.guest.MountedDirectory;
import io.imginject.worker.guest.OsRootCheck;
import io.imginject.worker.guest.ResolvingGuestFs;
import io.imginject.worker.handler.fuse.Fuse2fs;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.LoopDevice;
import io.imginject.worker.host.LoopDevices;
import io.imginject.worker.host.Mount;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.WorkDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts a filesystem of a raw disk file on the host: reads the partition table, picks the region the request
 * selects, checks its filesystem type against the allow-list, attaches it to a loop device by offset, and has the
 * driver the caller chose read it: the host kernel ({@code mount}, {@code nosuid,nodev,noexec}, on a private
 * directory) or fuse2fs ({@link Fuse2fs}) on that same loop device, which bounds what the driver can reach to the
 * filesystem's own bytes. When the request asks for the guest's root (partition -1), the other filesystems the
 * guest's fstab mounts are mounted below it as well, as libguestfs does, by the same driver (a fuse2fs mount is
 * bound there). A filesystem the chosen driver cannot read is refused before anything is mounted, so the root
 * is chosen among the same filesystems whatever the driver. The loop handler uses it on the image itself, the
 * nbd handler on the raw view qemu exports.
 */
public final class RawDiskMounter {
    private static final Logger log = LoggerFactory.getLogger(RawDiskMounter.class);

    private final ProcessRunner runner;
    private final FilesystemProbe probe;
    private final LoopDevices loops;
    private final Mounts mounts;
    private final Path mountBase;
    private final HostResources resources;
    private final Optional<Fuse2fs> fuse2fs;

    /**
     * @param mountBase a directory only root can enter; each mount gets a fresh directory below it
     * @param resources where the mounts, devices and directories are taken
     * @param fuse2fs the userspace driver, where it can run here
     */
    public RawDiskMounter(
            ProcessRunner runner,
            FilesystemProbe probe,
            LoopDevices loops,
            Mounts mounts,
            Path mountBase,
            HostResources resources,
            Optional<Fuse2fs> fuse2fs) {
        this.runner = runner;
        this.probe = probe;
        this.loops = loops;
        this.mounts = mounts;
        this.mountBase = mountBase;
        this.resources = resources;
        this.fuse2fs = fuse2fs;
    }

    /**
     * Mounts the filesystem {@code selector} picks from {@code disk}, a raw disk file or block device, read by
     * {@code driver}; the result must be closed.
     *
     * @throws InjectException {@code KERNEL_MOUNT_REFUSED} when a filesystem in question has no userspace driver and
     *     the driver is not the kernel
     */
    public OpenGuest mount(Path disk, PartitionSelector selector, FilesystemDriver driver) {
        List<Candidate> candidates = candidates(disk, selector);
        candidates.forEach(candidate -> requireReadable(candidate, driver));
        Candidate chosen = OsRootChoice.choose(candidates, candidate -> holdsOsRoot(disk, candidate, driver));
        try (Cleanup cleanup = new Cleanup()) {
            Path root = mountRegion(disk, chosen, driver, false, cleanup);
            ResolvingGuestFs guest = new ResolvingGuestFs(new MountedDirectory(root));
            if (selector instanceof PartitionSelector.FindRoot) {
                if (candidates.size() == 1) {
                    OsRootChoice.requireOsRoot(guest, chosen);
                }
                mountFstabFilesystems(disk, chosen, driver, guest, root, cleanup);
            }
            return new ReleasingGuest(guest, driver, cleanup.handOver());
        }
    }

    private List<Candidate> candidates(Path disk, PartitionSelector selector) {
        long size = size(disk);
        PartitionTable table = PartitionTableReader.read(disk, size);
        if (selector instanceof PartitionSelector.Numbered numbered) {
            PartitionTable.Partition partition = table.partition(numbered.number())
                    .orElseThrow(() -> new InjectException(
                            ErrorCode.PARTITION_NOT_FOUND,
                            table.scheme() == PartitionTable.Scheme.NONE
                                    ? "the image has no partition table, so no partition " + numbered.number()
                                            + "; use partition 0 for the whole disk"
                                    : "the image's " + table.scheme() + " table has no partition " + numbered.number()
                                            + " (it has "
                                            + table.partitions().stream()
                                                    .map(p -> Integer.toString(p.number()))
                                                    .collect(Collectors.joining(", "))
                                            + ")"));
            return List.of(typed(disk, partition.region()));
        }
        if (selector instanceof PartitionSelector.WholeDisk || table.scheme() == PartitionTable.Scheme.NONE) {
            return List.of(typed(disk, DiskRegion.wholeDisk(size)));
        }
        List<Candidate> candidates = new ArrayList<>();
        List<OsRootChoice.Found> others = new ArrayList<>();
        for (PartitionTable.Partition partition : table.partitions()) {
            Optional<String> type = probe.typeName(disk, partition.region());
            Optional<FilesystemType> allowed = type.flatMap(FilesystemType::fromTypeName);
            if (allowed.isPresent()) {
                candidates.add(new Candidate(partition.region(), allowed.get()));
            } else {
                others.add(new OsRootChoice.Found(partition.region().toString(), type));
            }
        }
        if (candidates.isEmpty()) {
            throw OsRootChoice.noCandidates(others);
        }
        return candidates;
    }

    private Candidate typed(Path disk, DiskRegion region) {
        String type = probe.typeName(disk, region)
                .orElseThrow(() -> new InjectException(
                        ErrorCode.UNSUPPORTED_FILESYSTEM, region + " holds no filesystem that blkid recognises"));
        UnsupportedGuests.byFilesystem(type).ifPresent(guest -> {
            throw new InjectException(ErrorCode.UNSUPPORTED_GUEST, UnsupportedGuests.message(guest, region.toString()));
        });
        return new Candidate(
                region,
                FilesystemType.fromTypeName(type)
                        .orElseThrow(() -> new InjectException(
                                ErrorCode.UNSUPPORTED_FILESYSTEM,
                                region + " holds " + type + "; this handler mounts only "
                                        + FilesystemType.allNames())));
    }

    /**
     * Refuses a filesystem {@code driver} cannot read: one with no userspace driver on an image the kernel may not
     * mount.
     */
    private static void requireReadable(Candidate candidate, FilesystemDriver driver) {
        if (driver == FilesystemDriver.FUSE2FS && !candidate.type().fuse2fsReads()) {
            throw new InjectException(
                    ErrorCode.KERNEL_MOUNT_REFUSED,
                    "the image is not under a trusted image root, and " + candidate
                            + " has no userspace driver (fuse2fs reads ext2, ext3 and ext4 only); the host kernel may not mount it, guestfs can open it");
        }
    }

    /** Whether {@code candidate} holds an OS root, looked at mounted read-only by {@code driver}. */
    private boolean holdsOsRoot(Path disk, Candidate candidate, FilesystemDriver driver) {
        try (Cleanup cleanup = new Cleanup()) {
            return OsRootCheck.isOsRoot(MountedDirectory.guestAt(mountRegion(disk, candidate, driver, true, cleanup)));
        }
    }

    /**
     * Mounts, below the guest's root, the other filesystems of the disk its fstab mounts ({@link FstabMounts}), each
     * on its mountpoint as resolved inside the guest. One that cannot be mounted is left out with a warning, as
     * libguestfs does.
     */
    private void mountFstabFilesystems(
            Path disk,
            Candidate root,
            FilesystemDriver driver,
            ResolvingGuestFs guest,
            Path rootDirectory,
            Cleanup cleanup) {
        List<FstabEntry> fstab = FstabMounts.fstabOf(guest);
        if (!FstabMounts.mountsMoreThanRoot(fstab)) {
            return;
        }
        List<FstabMounts.ProbedPartition> partitions = PartitionTableReader.read(disk, size(disk)).partitions().stream()
                .map(p -> new FstabMounts.ProbedPartition(p.number(), p.region(), probeQuietly(disk, p.region())))
                .toList();
        Set<String> mountedOn = new HashSet<>(Set.of("/"));
        for (FstabMounts.Planned planned : FstabMounts.plan(fstab, partitions, root.region())) {
            Candidate candidate = new Candidate(planned.region(), planned.type());
            requireReadable(candidate, driver);
            try {
                Optional<String> directory = guest.directory(GuestPath.of(planned.mountPoint()));
                if (directory.isEmpty() || !mountedOn.add(directory.get())) {
                    log.info(
                            "{} is not mounted on {}: no directory there in the guest, or one already mounted on",
                            planned.region(),
                            planned.mountPoint());
                    continue;
                }
                mountRegionOn(
                        disk,
                        candidate,
                        driver,
                        rootDirectory.resolve(directory.get().substring(1)),
                        cleanup);
            } catch (InjectException e) {
                log.warn("{} is not mounted on {}: {}", planned.region(), planned.mountPoint(), e.getMessage());
            }
        }
    }

    private Optional<ProbedFilesystem> probeQuietly(Path disk, DiskRegion region) {
        try {
            return probe.probe(disk, region);
        } catch (InjectException e) {
            log.info("{} is left out of the guest's mounts: {}", region, e.getMessage());
            return Optional.empty();
        }
    }

    /** Mounts {@code candidate}'s region, read by {@code driver}, on a fresh directory, which it returns. */
    private Path mountRegion(
            Path disk, Candidate candidate, FilesystemDriver driver, boolean readOnly, Cleanup cleanup) {
        if (driver == FilesystemDriver.FUSE2FS) {
            String device = attach(disk, candidate, readOnly, cleanup);
            try {
                return fuse2fs.orElseThrow(() -> new IllegalStateException("fuse2fs was chosen where it cannot run"))
                        .mount(device, readOnly, cleanup);
            } catch (CommandFailedException e) {
                throw new InjectException(
                        ErrorCode.IMAGE_CORRUPT, "fuse2fs could not mount the " + candidate + ": " + e.getMessage(), e);
            }
        }
        WorkDirectory work = WorkDirectory.freshIn(mountBase, "mnt-");
        Path directory = work.path();
        try {
            resources.take(cleanup, work, work::create);
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.INTERNAL_ERROR, "could not create a mount directory under " + mountBase + ": " + e, e);
        }
        mountKernel(disk, candidate, readOnly, directory, cleanup);
        return directory;
    }

    /** Mounts {@code candidate}'s region, read by {@code driver}, on {@code directory}, an existing one. */
    private void mountRegionOn(
            Path disk, Candidate candidate, FilesystemDriver driver, Path directory, Cleanup cleanup) {
        if (driver == FilesystemDriver.FUSE2FS) {
            Path served = mountRegion(disk, candidate, driver, false, cleanup);
            resources.take(cleanup, new Mount(directory), () -> {
                mounts.bind(served, directory);
                return directory;
            });
            return;
        }
        mountKernel(disk, candidate, false, directory, cleanup);
    }

    private String attach(Path disk, Candidate candidate, boolean readOnly, Cleanup cleanup) {
        DiskRegion region = candidate.region();
        return resources.take(
                cleanup,
                new LoopDevice(LoopDevices.backingName(disk), region.offset(), region.size()),
                () -> loops.attach(disk, region.offset(), region.size(), readOnly));
    }

    /** Attaches {@code candidate}'s region to a loop device and has the kernel mount it on {@code directory}. */
    private void mountKernel(Path disk, Candidate candidate, boolean readOnly, Path directory, Cleanup cleanup) {
        String device = attach(disk, candidate, readOnly, cleanup);
        List<String> options = new ArrayList<>(candidate.type().options());
        if (readOnly) {
            options.add("ro");
            options.addAll(candidate.type().readOnlyOptions());
        }
        try {
            resources.take(cleanup, new Mount(directory), () -> {
                mounts.mount(device, candidate.type().typeName(), options, directory);
                return directory;
            });
        } catch (InjectException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT,
                    "the " + candidate.type() + " filesystem on " + candidate.region() + " could not be mounted: "
                            + e.getMessage(),
                    e);
        }
    }

    private long size(Path disk) {
        try {
            if (!Files.isRegularFile(disk)) {
                return Long.parseLong(runner.run("blockdev", "--getsize64", disk.toString())
                        .stdout()
                        .strip());
            }
            return Files.size(disk);
        } catch (IOException e) {
            throw new InjectException(ErrorCode.IMAGE_CORRUPT, "could not read the image's size: " + e.getMessage(), e);
        }
    }

    private record Candidate(DiskRegion region, FilesystemType type) {
        @Override
        public String toString() {
            return type + " on " + region;
        }
    }
}
