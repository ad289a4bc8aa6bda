package io.imginject.worker.handler.guestfs;

import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether KVM can run a guest on this host, found by running one: qemu boots, under KVM and with the CPU model
 * libguestfs gives its appliance ({@code max,la57=off}), a 64 KiB firmware of the worker's own whose first
 * instructions write to qemu's debug-exit port, so qemu exits with status {@value #GUEST_RAN} once the guest's CPU
 * has run. It takes some 50 ms. A {@code /dev/kvm} that opens is not enough: on hosts whose {@code /dev/kvm} is a
 * PVM device (this project's CI machines) qemu aborts setting up the vCPU ("failed to set MSR 0x10a"), and
 * libguestfs, which tries KVM whenever {@code /dev/kvm} opens, fails every launch. Where that guest runs, the
 * appliance's kernel must boot under KVM too ({@link KvmKernelBoot}): on other hosts of this project the tiny guest
 * runs and a Linux kernel hangs.
 */
final class KvmCheck {
    private static final Logger log = LoggerFactory.getLogger(KvmCheck.class);
    static final Path KVM = Path.of("/dev/kvm");
    /** qemu's exit status when the guest writes 1 to isa-debug-exit: (1 << 1) | 1. */
    static final int GUEST_RAN = 3;

    private static final Duration TIME_LIMIT = Duration.ofSeconds(10);
    private static final int FIRMWARE_BYTES = 64 * 1024;
    /** mov al, 1; out 0xf4, al; hlt; jmp back to the hlt: placed at the reset vector, the firmware's last 16 bytes. */
    private static final byte[] RESET_VECTOR = {
        (byte) 0xb0, 0x01, (byte) 0xe6, (byte) 0xf4, (byte) 0xf4, (byte) 0xeb, (byte) 0xfd
    };

    private KvmCheck() {}

    /**
     * Why KVM cannot run a guest here, or empty when it ran one.
     *
     * @param workDirectory a directory only root can enter, for the firmware file while qemu runs
     */
    static Optional<String> problem(Path workDirectory) {
        if (!Files.exists(KVM)) {
            return Optional.of("there is no " + KVM);
        }
        if (!Files.isReadable(KVM) || !Files.isWritable(KVM)) {
            return Optional.of(KVM + " cannot be opened for reading and writing");
        }
        Path firmware;
        try {
            firmware = Files.createTempFile(
                    workDirectory,
                    "kvm-check-",
                    ".bin",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(firmware, firmware());
        } catch (IOException e) {
            return Optional.of(
                    "the KVM check could not write its firmware under " + workDirectory + ": " + e.getMessage());
        }
        try {
            CommandResult result = new ProcessRunner(TIME_LIMIT)
                    .runAllowingFailure(List.of(
                            "qemu-system-x86_64",
                            "-machine",
                            "pc,accel=kvm",
                            "-cpu",
                            "max,la57=off",
                            "-m",
                            "16",
                            "-nodefaults",
                            "-no-user-config",
                            "-display",
                            "none",
                            "-no-reboot",
                            "-bios",
                            firmware.toString(),
                            "-device",
                            "isa-debug-exit,iobase=0xf4,iosize=1"));
            return verdict(result.exitCode(), result.stderr()).or(() -> KvmKernelBoot.problem(workDirectory));
        } catch (CommandFailedException e) {
            return Optional.of("a KVM guest did not run: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(firmware);
            } catch (IOException e) {
                log.warn("could not remove the KVM check's firmware {}: {}", firmware, e.toString());
            }
        }
    }

    /** What qemu's exit says about KVM: empty when the guest ran, else why it did not. */
    static Optional<String> verdict(int exitCode, String stderr) {
        if (exitCode == GUEST_RAN) {
            return Optional.empty();
        }
        return Optional.of("a KVM guest did not run: qemu exited with status " + exitCode
                + ApplianceOutput.usefulLine(stderr)
                        .map(line -> " (" + line + ")")
                        .orElse(""));
    }

    static byte[] firmware() {
        byte[] firmware = new byte[FIRMWARE_BYTES];
        Arrays.fill(firmware, (byte) 0xf4);
        System.arraycopy(RESET_VECTOR, 0, firmware, FIRMWARE_BYTES - 16, RESET_VECTOR.length);
        return firmware;
    }
}
