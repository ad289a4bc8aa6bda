package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import io.imginject.worker.host.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Whether this host can run the libguestfs appliance from Java, and if not, why. */
public final class GuestfsSupport {
    static final String BINDING_CLASS = "com.redhat.et.libguestfs.GuestFS";

    private GuestfsSupport() {
    }

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
            return Optional.of("guestfs needs " + String.join(", ", missing) + " (Debian: libguestfs-tools, qemu-system-x86)");
        }
        if (!readableKernel()) {
            return Optional.of("no readable kernel in /boot for the appliance (supermin builds it from /boot/vmlinuz-*)");
        }
        return Optional.empty();
    }

    /**
     * Launches an appliance on a scratch disk, as a job would, and shuts it down: the only full proof that guestfs
     * works here (a broken KVM, for one, shows only then). Takes as long as a launch.
     *
     * @return what went wrong, or empty when the appliance came up
     */
    public static Optional<String> launchProblem(GuestfsSettings settings) {
        Optional<String> problem = problem();
        if (problem.isPresent()) {
            return problem;
        }
        try {
            GuestFS handle = new GuestFS();
            try {
                handle.set_backend("direct");
                if (settings.forceTcg()) {
                    handle.set_backend_settings(new String[] {"force_tcg"});
                }
                handle.set_memsize(settings.memoryMib());
                handle.set_smp(settings.vcpus());
                handle.add_drive_scratch(64L << 20);
                handle.launch();
                handle.shutdown();
            } finally {
                handle.close();
            }
            return Optional.empty();
        } catch (LibGuestFSException e) {
            return Optional.of("the appliance did not start: " + e.getMessage()
                    + (settings.forceTcg() ? "" : " (where KVM is unusable, try --guestfs-force-tcg true)"));
        }
    }

    private static boolean readableKernel() {
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            return boot.anyMatch(p -> p.getFileName().toString().startsWith("vmlinuz-") && Files.isReadable(p));
        } catch (IOException e) {
            return false;
        }
    }
}
