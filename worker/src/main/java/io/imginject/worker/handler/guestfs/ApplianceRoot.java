package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import com.redhat.et.libguestfs.Partition;
import io.imginject.protocol.ErrorCode;
import io.imginject.worker.disk.DiskRegion;
import io.imginject.worker.disk.FilesystemType;
import io.imginject.worker.disk.ProbedFilesystem;
import io.imginject.worker.disk.UnsupportedGuests;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FstabEntry;
import io.imginject.worker.guest.GuestPath;
import io.imginject.worker.guest.OsRootCheck;
import io.imginject.worker.guest.ResolvingGuestFs;
import io.imginject.worker.handler.FstabMounts;
import io.imginject.worker.handler.OsRootChoice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Partition -1 in the appliance, by the rule loop and nbd follow ({@link OsRootChoice}, {@link FstabMounts}) rather
 * than libguestfs's OS inspection, which costs seconds under TCG: the disk's partitions (or the whole disk when it
 * has no table) holding an allow-listed filesystem, each looked at mounted read-only when there are several; the
 * one with an OS root mounted on {@code /}; then the other filesystems its fstab mounts, each on its mountpoint as
 * resolved inside the guest.
 */
final class ApplianceRoot {
    private static final Logger log = LoggerFactory.getLogger(ApplianceRoot.class);

    private final GuestFS handle;
    private final ResolvingGuestFs guest;

    /** @param guest the appliance's {@code /} seen by the guest path rules */
    ApplianceRoot(GuestFS handle, ResolvingGuestFs guest) {
        this.handle = handle;
        this.guest = guest;
    }

    /**
     * A filesystem of the disk as the appliance names it, and its type as blkid reports it.
     *
     * @param number the partition's number, 0 for the whole disk
     */
    private record Filesystem(String device, int number, Optional<String> type) {
        Optional<FilesystemType> allowedType() {
            return type.flatMap(FilesystemType::fromTypeName);
        }

        String where() {
            return number == 0 ? "whole disk" : "partition " + number;
        }

        @Override
        public String toString() {
            return allowedType().map(allowed -> allowed + " on " + where()).orElse(where());
        }
    }

    /**
     * Each call into the appliance that runs a tool there (blkid, parted) takes a good part of a second under TCG, so
     * only the filesystems' types are asked for up front; where they lie and their UUIDs and labels only when the
     * guest's fstab mounts more than its root.
     */
    void mount() throws LibGuestFSException {
        String disk = handle.list_devices()[0];
        List<Filesystem> partitions = partitions();
        List<Filesystem> candidates = candidates(disk, partitions);
        Filesystem root = OsRootChoice.choose(candidates, this::holdsOsRoot);
        mountOn(root, "/", root.allowedType().orElseThrow().options());
        if (candidates.size() == 1) {
            OsRootChoice.requireOsRoot(guest, root);
        }
        List<FstabEntry> fstab = FstabMounts.fstabOf(guest);
        if (!partitions.isEmpty() && FstabMounts.mountsMoreThanRoot(fstab)) {
            mountFstabFilesystems(fstab, disk, partitions, root);
        }
    }

    private List<Filesystem> partitions() throws LibGuestFSException {
        List<Filesystem> partitions = new ArrayList<>();
        for (String device : handle.list_partitions()) {
            partitions.add(new Filesystem(device, handle.part_to_partnum(device), type(device)));
        }
        return partitions;
    }

    private List<Filesystem> candidates(String disk, List<Filesystem> partitions) throws LibGuestFSException {
        if (partitions.isEmpty()) {
            Filesystem whole = new Filesystem(disk, 0, type(disk));
            String type = whole.type()
                    .orElseThrow(() -> new InjectException(
                            ErrorCode.UNSUPPORTED_FILESYSTEM,
                            whole.where() + " holds no filesystem that blkid recognises"));
            UnsupportedGuests.byFilesystem(type).ifPresent(guest -> {
                throw new InjectException(ErrorCode.UNSUPPORTED_GUEST, UnsupportedGuests.message(guest, whole.where()));
            });
            if (whole.allowedType().isEmpty()) {
                throw new InjectException(
                        ErrorCode.UNSUPPORTED_FILESYSTEM,
                        whole.where() + " holds " + type + "; this handler mounts only " + FilesystemType.allNames());
            }
            return List.of(whole);
        }
        List<Filesystem> candidates =
                partitions.stream().filter(p -> p.allowedType().isPresent()).toList();
        if (candidates.isEmpty()) {
            throw OsRootChoice.noCandidates(partitions.stream()
                    .map(p -> new OsRootChoice.Found(p.where(), p.type()))
                    .toList());
        }
        return candidates;
    }

    private Optional<String> type(String device) throws LibGuestFSException {
        return nonEmpty(handle.vfs_type(device));
    }

    private boolean holdsOsRoot(Filesystem candidate) {
        FilesystemType type = candidate.allowedType().orElseThrow();
        List<String> options = new ArrayList<>(type.options());
        options.add("ro");
        options.addAll(type.readOnlyOptions());
        try {
            mountOn(candidate, "/", options);
            try {
                return OsRootCheck.isOsRoot(guest);
            } finally {
                handle.umount("/");
            }
        } catch (LibGuestFSException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT, "the appliance could not look at " + candidate + ": " + e.getMessage(), e);
        }
    }

    private void mountFstabFilesystems(
            List<FstabEntry> fstab, String disk, List<Filesystem> partitions, Filesystem root)
            throws LibGuestFSException {
        Map<Integer, DiskRegion> regions = new HashMap<>();
        for (Partition partition : handle.part_list(disk)) {
            regions.put(
                    partition.part_num,
                    DiskRegion.partition(partition.part_num, partition.part_start, partition.part_size));
        }
        List<FstabMounts.ProbedPartition> probed = new ArrayList<>();
        for (Filesystem partition : partitions) {
            DiskRegion region = regions.get(partition.number());
            if (region != null) {
                Optional<ProbedFilesystem> filesystem = partition.type().isEmpty()
                        ? Optional.empty()
                        : Optional.of(new ProbedFilesystem(
                                partition.type().get(),
                                nonEmpty(handle.vfs_uuid(partition.device())),
                                nonEmpty(handle.vfs_label(partition.device()))));
                probed.add(new FstabMounts.ProbedPartition(partition.number(), region, filesystem));
            }
        }
        DiskRegion rootRegion = regions.get(root.number());
        Set<String> mountedOn = new HashSet<>(Set.of("/"));
        for (FstabMounts.Planned planned : FstabMounts.plan(fstab, probed, rootRegion)) {
            Filesystem filesystem = partitions.stream()
                    .filter(p -> planned.region().equals(regions.get(p.number())))
                    .findFirst()
                    .orElseThrow();
            try {
                Optional<String> directory = guest.directory(GuestPath.of(planned.mountPoint()));
                if (directory.isEmpty() || !mountedOn.add(directory.get())) {
                    log.info(
                            "{} is not mounted on {}: no directory there in the guest, or one already mounted on",
                            planned.region(),
                            planned.mountPoint());
                    continue;
                }
                mountOn(filesystem, directory.get(), planned.type().options());
            } catch (InjectException | LibGuestFSException e) {
                log.warn("{} is not mounted on {}: {}", planned.region(), planned.mountPoint(), e.getMessage());
            }
        }
    }

    private void mountOn(Filesystem filesystem, String directory, List<String> options) throws LibGuestFSException {
        handle.mount_vfs(
                String.join(",", options),
                filesystem.allowedType().orElseThrow().typeName(),
                filesystem.device(),
                directory);
    }

    private static Optional<String> nonEmpty(String value) {
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
