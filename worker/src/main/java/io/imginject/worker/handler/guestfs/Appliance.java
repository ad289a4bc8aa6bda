package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.disk.UnsupportedGuests;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.ResolvingGuestFs;
import io.imginject.worker.handler.nbd.ServedImage;
import io.imginject.worker.host.JobHelpers;
import io.imginject.worker.image.DiskImage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One libguestfs appliance holding one image: launched on the raw disk qemu-nbd serves from the worker's own
 * descriptors of the image (so a file renamed over the image's path is never opened), the guest's
 * filesystems mounted inside it, and always shut down. The image is only ever parsed
 * by the appliance's own kernel, never the host's. Its qemu belongs to the job that launched it ({@link JobHelpers}):
 * the launch watchdog and the job's deadline kill that qemu and no other.
 */
final class Appliance {
    private static final Logger log = LoggerFactory.getLogger(Appliance.class);

    private final GuestFS handle;
    private final DiskImage image;
    private final ApplianceProcess process;

    private Appliance(GuestFS handle, DiskImage image, ApplianceProcess process) {
        this.handle = handle;
        this.image = image;
        this.process = process;
    }

    GuestFS handle() {
        return handle;
    }

    /**
     * Starts an appliance on {@code image}, which qemu-nbd serves as {@code served}: the appliance's qemu reads the
     * raw disk from the socket and never opens an image file itself. A launch that outlives the settings' timeout is
     * killed and reported as {@code HELPER_TIMEOUT}, which the chain retries.
     */
    static Appliance launch(
            GuestfsSettings settings,
            ApplianceAcceleration acceleration,
            DiskImage image,
            ServedImage served,
            ScheduledExecutorService watchdog) {
        GuestFS handle;
        ApplianceOutput output;
        ApplianceProcess process = new ApplianceProcess();
        try {
            handle = newHandle(settings, acceleration);
            output = ApplianceOutput.collectFrom(handle);
            handle.add_drive_opts(
                    "",
                    Map.of(
                            "protocol",
                            "nbd",
                            "server",
                            new String[] {"unix:" + served.socket()},
                            "format",
                            "raw",
                            "readonly",
                            false));
            process.nameIn(handle);
        } catch (LibGuestFSException e) {
            throw new InjectException(ErrorCode.TOOL_FAILED, "libguestfs could not be set up: " + e.getMessage(), e);
        }
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> kill = watchdog.schedule(
                () -> {
                    timedOut.set(true);
                    process.process().ifPresent(qemu -> {
                        log.warn("killing the appliance for {} (pid {}): launch timed out", image, qemu.pid());
                        qemu.destroyForcibly();
                    });
                },
                settings.launchTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        JobHelpers.adopt(process);
        long started = System.nanoTime();
        try {
            handle.launch();
            log.debug("appliance for {} up in {} ms", image, (System.nanoTime() - started) / 1_000_000);
            return new Appliance(handle, image, process);
        } catch (LibGuestFSException e) {
            closeQuietly(handle);
            if (timedOut.get()) {
                throw new InjectException(
                        ErrorCode.HELPER_TIMEOUT,
                        "the libguestfs appliance did not start within "
                                + settings.launchTimeout().toSeconds() + " s and was killed"
                                + output.usefulLine()
                                        .map(line -> "; its console's last line: \"" + line + "\"")
                                        .orElse(""),
                        e);
            }
            throw new InjectException(
                    ErrorCode.TOOL_FAILED, "the libguestfs appliance did not start: " + launchFailure(output, e), e);
        } finally {
            kill.cancel(false);
        }
    }

    /** A handle for an appliance as {@code settings} and {@code acceleration} say, with no drive yet. */
    static GuestFS newHandle(GuestfsSettings settings, ApplianceAcceleration acceleration) throws LibGuestFSException {
        GuestFS handle = new GuestFS();
        handle.set_backend("direct");
        if (acceleration.tcg()) {
            handle.set_backend_settings(new String[] {"force_tcg"});
        }
        handle.set_memsize(settings.memoryMib());
        handle.set_smp(settings.vcpus());
        return handle;
    }

    /** What qemu or the appliance said when the launch failed, else the first line of libguestfs's message. */
    static String launchFailure(ApplianceOutput output, LibGuestFSException e) {
        return output.usefulLine().orElseGet(() -> ApplianceOutput.firstLine(e));
    }

    /**
     * Mounts the filesystem {@code partition} selects on {@code /}, and for -1 the guest's other mountpoints too
     * ({@link ApplianceRoot}).
     *
     * @param guest the appliance's {@code /} seen by the guest path rules
     */
    void mount(PartitionSelector partition, ResolvingGuestFs guest) {
        try {
            if (partition instanceof PartitionSelector.WholeDisk) {
                mountRoot(handle.list_devices()[0], "whole disk");
            } else if (partition instanceof PartitionSelector.Numbered numbered) {
                mountRoot(partitionDevice(numbered.number()), "partition " + numbered.number());
            } else {
                new ApplianceRoot(handle, guest).mount();
            }
        } catch (LibGuestFSException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT, "libguestfs could not read " + image + ": " + e.getMessage(), e);
        }
    }

    private String partitionDevice(int number) throws LibGuestFSException {
        String disk = handle.list_devices()[0];
        List<String> partitions = Arrays.asList(handle.list_partitions());
        String device = disk + number;
        if (partitions.contains(device)) {
            return device;
        }
        if (partitions.isEmpty()) {
            throw new InjectException(
                    ErrorCode.PARTITION_NOT_FOUND,
                    "the image has no partition table, so no partition " + number
                            + "; use partition 0 for the whole disk");
        }
        String scheme = handle.part_get_parttype(disk).equals("gpt") ? "GPT" : "MBR";
        String numbers =
                partitions.stream().map(p -> p.substring(disk.length())).collect(Collectors.joining(", "));
        throw new InjectException(
                ErrorCode.PARTITION_NOT_FOUND,
                "the image's " + scheme + " table has no partition " + number + " (it has " + numbers + ")");
    }

    private void mountRoot(String device, String description) throws LibGuestFSException {
        String type = handle.vfs_type(device);
        if (type.isEmpty()) {
            throw new InjectException(
                    ErrorCode.UNSUPPORTED_FILESYSTEM, description + " holds no filesystem that blkid recognises");
        }
        UnsupportedGuests.byFilesystem(type).ifPresent(guest -> {
            throw new InjectException(ErrorCode.UNSUPPORTED_GUEST, UnsupportedGuests.message(guest, description));
        });
        try {
            handle.mount_options("", device, "/");
        } catch (LibGuestFSException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT,
                    "the filesystem on " + description + " could not be mounted: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Unmounts everything, shuts the appliance down (flushing the image) and frees the handle. An appliance the
     * job's deadline killed has nothing left to unmount or flush: its handle is only closed.
     */
    void shutdown() {
        if (process.endedByDeadline()) {
            closeQuietly(handle);
            return;
        }
        try {
            handle.umount_all();
            handle.shutdown();
        } catch (LibGuestFSException e) {
            throw new InjectException(
                    ErrorCode.CLEANUP_FAILED,
                    "the appliance for " + image + " did not shut down cleanly: " + e.getMessage(),
                    e);
        } finally {
            closeQuietly(handle);
        }
    }

    private static void closeQuietly(GuestFS handle) {
        try {
            handle.close();
        } catch (LibGuestFSException e) {
            log.warn("closing a libguestfs handle failed: {}", e.getMessage());
        }
    }
}
