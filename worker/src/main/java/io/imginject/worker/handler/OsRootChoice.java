package io.imginject.worker.handler;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.disk.FilesystemType;
import io.imginject.worker.disk.UnsupportedGuests;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.OsRootCheck;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Which filesystem is the guest's root for partition -1, by one rule on every handler, so that loop, nbd and guestfs
 * pick the same one: the disk's filesystems of an allow-listed type ({@link FilesystemType}); of several, the only
 * one that holds an OS root by {@link OsRootCheck}, each looked at mounted read-only; a lone one must hold an OS
 * root too (checked once it is mounted for the job).
 */
public final class OsRootChoice {
    private OsRootChoice() {}

    /**
     * The candidate that holds an OS root.
     *
     * @param holdsOsRoot mounts a candidate read-only, applies {@link OsRootCheck}, and unmounts it
     * @throws InjectException {@code ROOT_NOT_FOUND} when none does, {@code AMBIGUOUS_ROOT} when several do
     */
    public static <C> C choose(List<C> candidates, Predicate<C> holdsOsRoot) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        List<C> roots = candidates.stream().filter(holdsOsRoot).toList();
        if (roots.isEmpty()) {
            throw new InjectException(
                    ErrorCode.ROOT_NOT_FOUND,
                    "none of the image's filesystems (" + describe(candidates) + ") holds an operating system root");
        }
        if (roots.size() > 1) {
            throw new InjectException(
                    ErrorCode.AMBIGUOUS_ROOT,
                    "several filesystems hold an operating system root (" + describe(roots)
                            + "); name the partition to use");
        }
        return roots.get(0);
    }

    /**
     * Checks the lone candidate, mounted as {@code guest} for the job, which {@link #choose} took without looking.
     *
     * @throws InjectException {@code ROOT_NOT_FOUND} when it holds no OS root
     */
    public static void requireOsRoot(GuestFs guest, Object onlyCandidate) {
        if (!OsRootCheck.isOsRoot(guest)) {
            throw new InjectException(
                    ErrorCode.ROOT_NOT_FOUND,
                    "the only filesystem on the image (" + onlyCandidate
                            + ") holds no operating system root (/etc, /bin and /etc/fstab or /etc/hosts)");
        }
    }

    /** A partition that holds no allow-listed filesystem, and the type it holds if any. */
    public record Found(String where, Optional<String> type) {
        @Override
        public String toString() {
            return where + ": " + type.orElse("no filesystem");
        }
    }

    /**
     * The refusal for a partitioned disk none of whose partitions holds an allow-listed filesystem:
     * {@code unsupported_guest} when one of them says the guest is an OS the worker does not serve (Windows, say),
     * {@code root_not_found} otherwise.
     */
    public static InjectException noCandidates(List<Found> found) {
        String all = found.isEmpty() ? "no partitions" : describe(found);
        for (Found partition : found) {
            Optional<String> guest = partition.type().flatMap(UnsupportedGuests::byFilesystem);
            if (guest.isPresent()) {
                return new InjectException(
                        ErrorCode.UNSUPPORTED_GUEST,
                        UnsupportedGuests.message(guest.get(), partition.where()) + " (found " + all + ")");
            }
        }
        return new InjectException(
                ErrorCode.ROOT_NOT_FOUND,
                "no partition holds a filesystem this handler mounts (" + FilesystemType.allNames() + "); found "
                        + all);
    }

    private static String describe(List<?> candidates) {
        return candidates.stream().map(Object::toString).collect(Collectors.joining(", "));
    }
}
