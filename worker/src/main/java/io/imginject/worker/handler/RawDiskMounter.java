package io.imginject.worker.handler;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.disk.DiskRegion;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.disk.FilesystemType;
import io.imginject.worker.disk.PartitionTable;
import io.imginject.worker.disk.PartitionTableReader;
import io.imginject.worker.disk.UnsupportedGuests;
import io.imginject.worker.disk.ProbedFilesystem;
import io.imginject.worker.guest.FstabEntry;
import io.imginject.worker.guest.GuestPath;
import io.imginject.worker.guest.MountedDirectory;
import io.imginject.worker.guest.OsRootCheck;
import io.imginject.worker.guest.ResolvingGuestFs;
import io.imginject.worker.host.Cleanup;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts a filesystem of a raw disk file on the host: reads the partition table, picks the region the request
 * selects, checks its filesystem type against the allow-list, attaches it to a loop device by offset and mounts
 * it {@code nosuid,nodev,noexec} on a private directory. When the request asks for the guest's root (partition -1),
 * the other filesystems the guest's fstab mounts are mounted below it as well, as libguestfs does. The loop handler
 * uses it on the image itself, the nbd handler on the raw view qemu exports.
 */
public final class RawDiskMounter {
    private static final Logger log = LoggerFactory.getLogger(RawDiskMounter.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ProcessRunner runner;
    private final FilesystemProbe probe;
    private final LoopDevices loops;
    private final Mounts mounts;
    private final Path mountBase;
    private final HostResources resources;

    /**
     * @param mountBase a directory only root can enter; each mount gets a fresh directory below it
     * @param resources where the mounts, devices and directories are taken
     */
    public RawDiskMounter(ProcessRunner runner, FilesystemProbe probe, LoopDevices loops, Mounts mounts, Path mountBase,
            HostResources resources) {
        this.runner = runner;
        this.probe = probe;
        this.loops = loops;
        this.mounts = mounts;
        this.mountBase = mountBase;
        this.resources = resources;
    }

    /**
     * Mounts the filesystem {@code selector} picks from {@code disk}, a raw disk file or block device; the result
     * must be closed.
     */
    public OpenGuest mount(Path disk, PartitionSelector selector) {
        List<Candidate> candidates = candidates(disk, selector);
        Candidate chosen = OsRootChoice.choose(candidates, candidate -> holdsOsRoot(disk, candidate));
        try (Cleanup cleanup = new Cleanup()) {
            Path root = mountRegion(disk, chosen, false, cleanup);
            ResolvingGuestFs guest = new ResolvingGuestFs(new MountedDirectory(root));
            if (selector instanceof PartitionSelector.FindRoot) {
                if (candidates.size() == 1) {
                    OsRootChoice.requireOsRoot(guest, chosen);
                }
                mountFstabFilesystems(disk, chosen, guest, root, cleanup);
            }
            return new ReleasingGuest(guest, cleanup.handOver());
        }
    }

    private List<Candidate> candidates(Path disk, PartitionSelector selector) {
        long size = size(disk);
        PartitionTable table = PartitionTableReader.read(disk, size);
        if (selector instanceof PartitionSelector.Numbered numbered) {
            PartitionTable.Partition partition = table.partition(numbered.number()).orElseThrow(() ->
                    new InjectException(ErrorCode.PARTITION_NOT_FOUND, table.scheme() == PartitionTable.Scheme.NONE
                            ? "the image has no partition table, so no partition " + numbered.number() + "; use partition 0 for the whole disk"
                            : "the image's " + table.scheme() + " table has no partition " + numbered.number() + " (it has "
                                    + table.partitions().stream().map(p -> Integer.toString(p.number())).collect(Collectors.joining(", ")) + ")"));
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
        String type = probe.typeName(disk, region).orElseThrow(() -> new InjectException(ErrorCode.UNSUPPORTED_FILESYSTEM,
                region + " holds no filesystem that blkid recognises"));
        UnsupportedGuests.byFilesystem(type).ifPresent(guest -> {
            throw new InjectException(ErrorCode.UNSUPPORTED_GUEST, UnsupportedGuests.message(guest, region.toString()));
        });
        return new Candidate(region, FilesystemType.fromTypeName(type).orElseThrow(() -> new InjectException(
                ErrorCode.UNSUPPORTED_FILESYSTEM, region + " holds " + type + "; this handler mounts only " + FilesystemType.allNames())));
    }

    /** Whether {@code candidate} holds an OS root, looked at mounted read-only. */
    private boolean holdsOsRoot(Path disk, Candidate candidate) {
        try (Cleanup cleanup = new Cleanup()) {
            return OsRootCheck.isOsRoot(MountedDirectory.guestAt(mountRegion(disk, candidate, true, cleanup)));
        }
    }

    /**
     * Mounts, below the guest's root, the other filesystems of the disk its fstab mounts ({@link FstabMounts}), each
     * on its mountpoint as resolved inside the guest. One that cannot be mounted is left out with a warning, as
     * libguestfs does.
     */
    private void mountFstabFilesystems(Path disk, Candidate root, ResolvingGuestFs guest, Path rootDirectory, Cleanup cleanup) {
        List<FstabEntry> fstab = FstabMounts.fstabOf(guest);
        if (!FstabMounts.mountsMoreThanRoot(fstab)) {
            return;
        }
        List<FstabMounts.ProbedPartition> partitions = PartitionTableReader.read(disk, size(disk)).partitions().stream()
                .map(p -> new FstabMounts.ProbedPartition(p.number(), p.region(), probeQuietly(disk, p.region())))
                .toList();
        Set<String> mountedOn = new HashSet<>(Set.of("/"));
        for (FstabMounts.Planned planned : FstabMounts.plan(fstab, partitions, root.region())) {
            try {
                Optional<String> directory = guest.directory(GuestPath.of(planned.mountPoint()));
                if (directory.isEmpty() || !mountedOn.add(directory.get())) {
                    log.info("{} is not mounted on {}: no directory there in the guest, or one already mounted on", planned.region(),
                            planned.mountPoint());
                    continue;
                }
                mountRegionAt(disk, new Candidate(planned.region(), planned.type()), false,
                        rootDirectory.resolve(directory.get().substring(1)), cleanup);
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

    private Path mountRegion(Path disk, Candidate candidate, boolean readOnly, Cleanup cleanup) {
        Path directory = mountBase.resolve("mnt-" + HexFormat.of().formatHex(randomBytes()));
        try {
            resources.take(cleanup, new WorkDirectory(directory), () -> Files.createDirectory(directory,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not create a mount directory under " + mountBase + ": " + e, e);
        }
        mountRegionAt(disk, candidate, readOnly, directory, cleanup);
        return directory;
    }

    /** Attaches {@code candidate}'s region to a loop device and mounts it on {@code directory}, an existing one. */
    private void mountRegionAt(Path disk, Candidate candidate, boolean readOnly, Path directory, Cleanup cleanup) {
        DiskRegion region = candidate.region();
        String device = resources.take(cleanup, new LoopDevice(LoopDevices.backingName(disk), region.offset(), region.size()),
                () -> loops.attach(disk, region.offset(), region.size(), readOnly));
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
            throw new InjectException(ErrorCode.IMAGE_CORRUPT, "the " + candidate.type() + " filesystem on " + candidate.region()
                    + " could not be mounted: " + e.getMessage(), e);
        }
    }

    private long size(Path disk) {
        try {
            if (!Files.isRegularFile(disk)) {
                return Long.parseLong(runner.run("blockdev", "--getsize64", disk.toString()).stdout().strip());
            }
            return Files.size(disk);
        } catch (IOException e) {
            throw new InjectException(ErrorCode.IMAGE_CORRUPT, "could not read the image's size: " + e.getMessage(), e);
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private record Candidate(DiskRegion region, FilesystemType type) {
        @Override
        public String toString() {
            return type + " on " + region;
        }
    }
}
