package io.imginject.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Every failure the worker reports, in a reply's {@code error.code}, an item's {@code code} or an attempt's
 * {@code code}. On the wire a code is its lower-case name, e.g. {@code image_not_found}.
 *
 * <p>{@link #isTransient()} says whether the same request may succeed if tried again unchanged: the handler
 * chain retries transient failures, and a reply's {@code error.retryable} carries the same flag.
 */
public enum ErrorCode {
    MALFORMED_MESSAGE(false, "the message body is not a JSON object encoded in UTF-8"),
    INVALID_REQUEST(false, "the request breaks the v1 schema; error.problems lists every problem with its JSON path"),
    UNSUPPORTED_VERSION(false, "the request's \"v\" is not a protocol version this worker speaks"),
    MISSING_CORRELATION_ID(false, "the request names a reply_to queue but carries no correlation_id"),
    DEADLINE_EXPIRED(false, "the request's deadline passed before the worker could start it; it was not run"),
    REQUEST_TOO_LARGE(
            false,
            "the request exceeds one of the worker's limits (body size, file count, path length, total file"
                    + " bytes, problems reported); the message names the limit and its setting"),
    DELIVERY_LIMIT_REACHED(
            false,
            "the request was delivered as often as the host's queue allows without a worker finishing it"
                    + " (workers died or were killed running it); it was not run again"),
    IMAGE_NOT_FOUND(false, "no file exists at the image path"),
    IMAGE_OUTSIDE_ROOTS(
            false, "the image path, after following symlinks, is not under one of the worker's image roots"),
    IMAGE_NOT_REGULAR_FILE(false, "the image path names a directory, device, socket or other non-regular file"),
    IMAGE_BUSY(
            true,
            "another job on this host held the image for longer than the worker waits; trying again later may succeed"),
    IMAGE_IN_USE(
            false,
            "qemu's image lock says another process (a running VM?) has the image open; it is never written then"),
    UNSAFE_BACKING_FILE(
            false, "the image refers to a backing file or extent outside the image roots, or of unrecorded format"),
    UNSUPPORTED_FORMAT(false, "the image format is unknown, or no enabled handler reads it"),
    IMAGE_CORRUPT(false, "the image, its partition table or its filesystem cannot be read"),
    PARTITION_TABLE_INVALID(
            false, "the image's partition table has entries that overlap or reach past the end of the disk"),
    IMAGE_LIMIT_EXCEEDED(
            false,
            "the image asks more of the worker than its limits allow (partition entries, fstab mounts, symlink"
                    + " hops, bytes read); the message names the limit"),
    PARTITION_NOT_FOUND(false, "the image has no partition with the requested number"),
    ROOT_NOT_FOUND(false, "partition -1 was requested and no filesystem on the image holds an operating system root"),
    AMBIGUOUS_ROOT(false, "partition -1 was requested and more than one filesystem holds an operating system root"),
    UNSUPPORTED_GUEST(
            false,
            "the image holds an operating system this worker does not inject into (Windows on NTFS or ReFS,"
                    + " macOS, a BSD, ZFS); the message names what was found"),
    UNSUPPORTED_FILESYSTEM(false, "the filesystem type is not on the allow-list (ext2, ext3, ext4, xfs, btrfs)"),
    KERNEL_MOUNT_REFUSED(
            false,
            "the image is not under a trusted image root and its filesystem has no userspace driver here, so"
                    + " this handler may not open it (the host kernel would parse it); guestfs can"),
    HANDLER_UNAVAILABLE(false, "this handler cannot take this image on this host (see the attempt's message)"),
    NO_HANDLER(false, "no handler could open the image; the reply's attempts say why for each"),
    DEVICE_BUSY(true, "no free device, or the device was busy; trying again later may succeed"),
    HELPER_TIMEOUT(true, "a helper (qemu-nbd, nbdfuse, the libguestfs appliance) did not come up in time"),
    TOOL_FAILED(false, "a host tool (losetup, mount, qemu-img, ...) failed; the message quotes its error"),
    UNSAFE_PATH(
            false, "a guest path escapes the guest, crosses a symlink where none is allowed, or is otherwise unsafe"),
    GUEST_CONTENT_INVALID(false, "a guest file the item depends on is missing or malformed"),
    FILESYSTEM_ERROR(
            false,
            "the guest's filesystem reported corruption while the job ran (the kernel remounted it read-only);"
                    + " nothing more was written; check the image with fsck"),
    GUEST_IO_ERROR(false, "reading or writing inside the guest filesystem failed (full, read-only, ...)"),
    MANDATORY_ITEM_FAILED(false, "an item named in \"mandatory\" failed; items says which and why"),
    JOB_TIMEOUT(
            false, "the job ran past the worker's job deadline; its helpers were killed and its resources released"),
    REPLY_REFUSED(
            false,
            "the job's reply could not be published (the broker or its AMQP client refused it, e.g. over the"
                    + " broker's size limit, or the reply queue kept rejecting it); the message says how the job ended"),
    CLEANUP_FAILED(false, "the injection ran but unmounting or detaching failed; an operator should look at the host"),
    INTERNAL_ERROR(false, "an unexpected error inside the worker; its log has the details");

    private final boolean isTransient;
    private final String meaning;

    ErrorCode(boolean isTransient, String meaning) {
        this.isTransient = isTransient;
        this.meaning = meaning;
    }

    /** Whether trying the same thing again, unchanged, may succeed. */
    public boolean isTransient() {
        return isTransient;
    }

    /** What the code means, for documentation and command-line help. */
    public String meaning() {
        return meaning;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static ErrorCode fromWireName(String wireName) {
        return valueOf(wireName.toUpperCase(Locale.ROOT));
    }
}
