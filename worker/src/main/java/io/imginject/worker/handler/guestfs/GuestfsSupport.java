package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import io.imginject.worker.host.HostTools;
import java.util.List;
import java.util.Optional;

/** Whether this host can run the libguestfs appliance from Java, and if not, why. */
public final class GuestfsSupport {
    static final String BINDING_CLASS = "com.redhat.et.libguestfs.GuestFS";

    private GuestfsSupport() {}

    /** What keeps guestfs from working here, or empty if nothing visible does (a launch is the full proof). */
    public static Optional<String> problem() {
        try {
            Class.forName(BINDING_CLASS, true, GuestfsSupport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return Optional.of("the libguestfs Java binding is not on the class path (Debian: libguestfs-java)");
        } catch (LinkageError e) {
            return Optional.of("the libguestfs JNI library could not be loaded (" + e.getMessage() + ")");
        }
        List<String> missing = HostTools.missing("supermin", "qemu-system-x86_64");
        if (!missing.isEmpty()) {
            return Optional.of(
                    "guestfs needs " + String.join(", ", missing) + " (Debian: libguestfs-tools, qemu-system-x86)");
        }
        if (ApplianceKernel.find().isEmpty()) {
            return Optional.of(
                    "no readable kernel in /boot for the appliance (supermin builds it from /boot/vmlinuz-*)");
        }
        return Optional.empty();
    }

    /**
     * Launches an appliance on a scratch disk, as a job would, and shuts it down: the only full proof that guestfs
     * works here. Takes as long as a launch.
     *
     * @return what went wrong, or empty when the appliance came up
     */
    public static Optional<String> launchProblem(GuestfsSettings settings, ApplianceAcceleration acceleration) {
        Optional<String> problem = problem();
        if (problem.isPresent()) {
            return problem;
        }
        try {
            GuestFS handle = Appliance.newHandle(settings, acceleration);
            try {
                ApplianceOutput output = ApplianceOutput.collectFrom(handle);
                handle.add_drive_scratch(64L << 20);
                try {
                    handle.launch();
                } catch (LibGuestFSException e) {
                    return Optional.of("the appliance did not start: " + Appliance.launchFailure(output, e));
                }
                handle.shutdown();
            } finally {
                handle.close();
            }
            return Optional.empty();
        } catch (LibGuestFSException e) {
            return Optional.of("libguestfs failed: " + ApplianceOutput.firstLine(e));
        }
    }
}
