package io.imginject.worker.handler;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.GuestPaths;
import io.imginject.worker.disk.DiskRegion;
import io.imginject.worker.disk.FilesystemType;
import io.imginject.worker.disk.ProbedFilesystem;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FstabEntry;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which other filesystems of a disk the guest mounts, by its fstab, besides its root: nova's VFSGuestFS rule (the
 * root's mountpoints, in path order, so {@code /var} comes before {@code /var/lib}) applied to what the host may
 * mount. An entry is left out, with a log line saying why, when it is not a filesystem on this disk (swap, network,
 * bind, LVM, another disk), when the guest does not mount it at boot ({@code noauto}), when its type is not on the
 * allow-list, when its mountpoint is not a path below the root, or when it names the root or an already planned
 * filesystem again.
 */
public final class FstabMounts {
    static final int MAX_MOUNTS = 32;
    private static final Logger log = LoggerFactory.getLogger(FstabMounts.class);
    private static final GuestPath FSTAB = GuestPath.of("/etc/fstab");
    private static final int MAX_FSTAB_BYTES = 1 << 20;
    private static final Pattern FIRST_DISK_PARTITION =
            Pattern.compile("/dev/(?:sd|vd|hd|xvd)a([0-9]{1,3})|/dev/(?:nvme0n1|mmcblk0)p([0-9]{1,3})");

    /** A filesystem to mount at {@code mountPoint}, a guest path. */
    public record Planned(String mountPoint, DiskRegion region, FilesystemType type) {}

    /** A partition of the disk and what blkid found on it. */
    public record ProbedPartition(int number, DiskRegion region, Optional<ProbedFilesystem> filesystem) {}

    private FstabMounts() {}

    /** The guest's fstab, or none when it has none or it cannot be read (then only the root is mounted). */
    public static List<FstabEntry> fstabOf(GuestFs guest) {
        try {
            return guest.read(FSTAB, MAX_FSTAB_BYTES)
                    .map(content -> FstabEntry.parse(new String(content, StandardCharsets.UTF_8)))
                    .orElse(List.of());
        } catch (InjectException e) {
            log.warn("the guest's {} is not read, so only its root filesystem is mounted: {}", FSTAB, e.getMessage());
            return List.of();
        }
    }

    /** Whether the fstab mounts anything besides the root. */
    public static boolean mountsMoreThanRoot(List<FstabEntry> fstab) {
        return !fstab.stream().allMatch(entry -> entry.mountPoint().equals("/"));
    }

    /**
     * Which of the fstab's filesystems to mount where: each on a partition of the disk other than the root's, at most
     * once, in mountpoint order.
     *
     * @throws InjectException {@code IMAGE_LIMIT_EXCEEDED} when the fstab would have more than {@value #MAX_MOUNTS}
     *     filesystems mounted
     */
    public static List<Planned> plan(List<FstabEntry> fstab, List<ProbedPartition> partitions, DiskRegion root) {
        Map<String, Planned> byMountPoint = new TreeMap<>();
        Set<DiskRegion> taken = new HashSet<>(Set.of(root));
        for (FstabEntry written : fstab) {
            Optional<String> problem = problem(written);
            Optional<String> mountPoint = normalised(written.mountPoint());
            if (problem.isPresent() || mountPoint.isEmpty()) {
                log.debug(
                        "fstab entry {} on {} left out: {}",
                        written.spec(),
                        written.mountPoint(),
                        problem.orElse("not a normal path below the root"));
                continue;
            }
            FstabEntry entry = new FstabEntry(written.spec(), mountPoint.get(), written.type(), written.options());
            Optional<ProbedPartition> partition =
                    partitions.stream().filter(p -> names(entry.spec(), p)).findFirst();
            if (partition.isEmpty()) {
                log.info(
                        "fstab entry {} on {} left out: no partition of the image matches it",
                        entry.spec(),
                        entry.mountPoint());
                continue;
            }
            Optional<FilesystemType> type =
                    partition.get().filesystem().flatMap(f -> FilesystemType.fromTypeName(f.type()));
            if (type.isEmpty()) {
                log.info(
                        "fstab entry {} on {} left out: partition {} holds {}, not one of {}",
                        entry.spec(),
                        entry.mountPoint(),
                        partition.get().number(),
                        partition.get().filesystem().map(ProbedFilesystem::type).orElse("no filesystem"),
                        FilesystemType.allNames());
                continue;
            }
            if (byMountPoint.containsKey(entry.mountPoint())
                    || !taken.add(partition.get().region())) {
                log.info(
                        "fstab entry {} on {} left out: its filesystem or mountpoint is already mounted",
                        entry.spec(),
                        entry.mountPoint());
                continue;
            }
            if (byMountPoint.size() == MAX_MOUNTS) {
                throw new InjectException(
                        ErrorCode.IMAGE_LIMIT_EXCEEDED,
                        "the guest's /etc/fstab mounts more than " + MAX_MOUNTS
                                + " filesystems of the image besides its root; the worker mounts at most "
                                + MAX_MOUNTS);
            }
            byMountPoint.put(
                    entry.mountPoint(),
                    new Planned(entry.mountPoint(), partition.get().region(), type.get()));
        }
        return new ArrayList<>(byMountPoint.values());
    }

    /**
     * The mountpoint as the guest's mount would take it ({@code //boot/} is {@code /boot}), if it is a path below the
     * root that follows the guest path rules; {@code ..} components are not resolved but left out.
     */
    static Optional<String> normalised(String mountPoint) {
        if (!mountPoint.startsWith("/")) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        for (String name : mountPoint.split("/", -1)) {
            if (name.equals("..")) {
                return Optional.empty();
            }
            if (!name.isEmpty() && !name.equals(".")) {
                names.add(name);
            }
        }
        String path = "/" + String.join("/", names);
        return names.isEmpty() || GuestPaths.problemWith(path).isPresent() ? Optional.empty() : Optional.of(path);
    }

    private static Optional<String> problem(FstabEntry entry) {
        if (entry.options().contains("noauto")
                || entry.options().contains("bind")
                || entry.options().contains("rbind")) {
            return Optional.of("not mounted at boot, or a bind mount");
        }
        if (!entry.type().equals("auto")
                && FilesystemType.fromTypeName(entry.type()).isEmpty()) {
            return Optional.of("type " + entry.type() + " is not one of " + FilesystemType.allNames());
        }
        return Optional.empty();
    }

    /** Whether the fstab's {@code spec} names {@code partition}: by UUID, by label, or as a partition of the first disk. */
    private static boolean names(String spec, ProbedPartition partition) {
        Optional<ProbedFilesystem> filesystem = partition.filesystem();
        Optional<String> uuid = value(spec, "UUID=", "/dev/disk/by-uuid/");
        if (uuid.isPresent()) {
            return filesystem
                    .flatMap(ProbedFilesystem::uuid)
                    .map(u -> u.equalsIgnoreCase(uuid.get()))
                    .orElse(false);
        }
        Optional<String> label = value(spec, "LABEL=", "/dev/disk/by-label/");
        if (label.isPresent()) {
            return filesystem
                    .flatMap(ProbedFilesystem::label)
                    .map(l -> l.equals(label.get()))
                    .orElse(false);
        }
        Matcher device = FIRST_DISK_PARTITION.matcher(spec);
        if (device.matches()) {
            String number = device.group(1) != null ? device.group(1) : device.group(2);
            return Integer.parseInt(number) == partition.number();
        }
        return false;
    }

    private static Optional<String> value(String spec, String prefix, String devicePrefix) {
        if (spec.startsWith(prefix)) {
            return Optional.of(unquote(spec.substring(prefix.length())));
        }
        if (spec.startsWith(devicePrefix)) {
            return Optional.of(spec.substring(devicePrefix.length()));
        }
        return Optional.empty();
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1)
                : value;
    }
}
