package io.imginject.worker.handler;

import io.imginject.protocol.FilesystemDriver;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.host.Cleanup;

/**
 * An open guest whose closing runs the cleanup of everything acquired to open it.
 *
 * @param fs the guest filesystem
 * @param filesystem what reads it
 * @param cleanup releases the mounts, devices, helpers or appliance behind it, in reverse order
 */
public record ReleasingGuest(GuestFs fs, FilesystemDriver filesystem, Cleanup cleanup) implements OpenGuest {
    @Override
    public void close() {
        cleanup.close();
    }
}
