package io.imginject.worker.handler;

import io.imginject.protocol.FilesystemDriver;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;

/** An image opened by a handler: its guest filesystem, until closed. Closing releases everything it holds. */
public interface OpenGuest extends AutoCloseable {

    GuestFs fs();

    /** What reads the guest's filesystem: the host kernel, fuse2fs, or the guestfs appliance. */
    FilesystemDriver filesystem();

    /**
     * Unmounts, detaches and stops whatever the handler started, in reverse order.
     *
     * @throws InjectException with {@code CLEANUP_FAILED} if anything could not be released
     */
    @Override
    void close();
}
