package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import io.imginject.worker.host.JobHelpers;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The qemu of one appliance, known exactly: libguestfs runs it as a direct child of this JVM, and its handle passes
 * it {@code -name imginject-appliance-<random>}, a name no other process has. It is never looked for by the image
 * path, which other processes' command lines may hold too (another job's {@code disk.eph0} contains {@code disk}),
 * nor among processes this JVM did not start.
 */
final class ApplianceProcess implements JobHelpers.Helper {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String qemuName;
    private volatile ProcessHandle found;
    private volatile boolean endedByDeadline;

    ApplianceProcess() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        this.qemuName = "imginject-appliance-" + HexFormat.of().formatHex(bytes);
    }

    /** Has the appliance {@code handle} will launch carry this process's name. */
    void nameIn(GuestFS handle) throws LibGuestFSException {
        handle.config("-name", qemuName);
    }

    @Override
    public String name() {
        return "the libguestfs appliance";
    }

    /** The appliance's qemu while it runs. */
    @Override
    public Optional<ProcessHandle> process() {
        ProcessHandle known = found;
        if (known == null) {
            known = ProcessHandle.current()
                    .children()
                    .filter(this::isThisAppliance)
                    .findFirst()
                    .orElse(null);
            found = known;
        }
        return Optional.ofNullable(known).filter(ProcessHandle::isAlive);
    }

    @Override
    public void markEndedByDeadline() {
        endedByDeadline = true;
    }

    /** Whether the job's deadline ended it, so that its handle can only be closed. */
    boolean endedByDeadline() {
        return endedByDeadline;
    }

    private boolean isThisAppliance(ProcessHandle process) {
        ProcessHandle.Info info = process.info();
        boolean qemu = info.command()
                .map(command -> Path.of(command).getFileName().toString().startsWith("qemu-system"))
                .orElse(false);
        return qemu && info.arguments().map(this::namesThisAppliance).orElse(false);
    }

    private boolean namesThisAppliance(String[] arguments) {
        for (int i = 0; i + 1 < arguments.length; i++) {
            if (arguments[i].equals("-name") && arguments[i + 1].equals(qemuName)) {
                return true;
            }
        }
        return false;
    }
}
