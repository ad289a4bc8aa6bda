package io.imginject.worker.handler.guestfs;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether KVM runs a Linux kernel here: the appliance's own kernel ({@link ApplianceKernel}) boots under KVM, with
 * the appliance's CPU model and no disk, until it panics for want of a root filesystem, which it prints on its
 * console; with {@code panic=-1} and {@code -no-reboot} qemu then exits. That is the kernel's whole start (protected
 * and long mode, timers, interrupts, devices), done in about a second where KVM works. A host's KVM can run the tiny
 * real-mode guest of {@link KvmCheck} and still spin for ever where the kernel leaves real mode (seen on these
 * machines: the console stops after {@code Probing EDD}); every appliance launch there would hang until its
 * timeout.
 */
final class KvmKernelBoot {
    private static final Logger log = LoggerFactory.getLogger(KvmKernelBoot.class);
    static final Duration TIME_LIMIT = Duration.ofSeconds(15);
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);
    /** What the kernel prints once it has started everything and finds no root filesystem to mount. */
    static final String BOOTED = "Kernel panic";

    private KvmKernelBoot() {}

    /**
     * Why KVM cannot boot the appliance's kernel, or empty when it did.
     *
     * @param workDirectory a directory only root can enter, for the console's output while qemu runs
     */
    static Optional<String> problem(Path workDirectory) {
        Optional<Path> kernel = ApplianceKernel.find();
        if (kernel.isEmpty()) {
            return Optional.of("there is no readable kernel in /boot to boot under KVM");
        }
        Path console = null;
        Path errors = null;
        Process qemu = null;
        try {
            console = Files.createTempFile(workDirectory, "kvm-console-", ".log");
            errors = Files.createTempFile(workDirectory, "kvm-errors-", ".log");
            qemu = new ProcessBuilder(argv(kernel.get()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(console.toFile())
                    .redirectError(errors.toFile())
                    .start();
            boolean exited = qemu.waitFor(TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                qemu.destroy(); // SIGTERM, so that qemu writes out the console it still holds
                if (!qemu.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    qemu.destroyForcibly().waitFor();
                }
            }
            return verdict(
                    kernel.get(),
                    exited,
                    exited ? qemu.exitValue() : -1,
                    Files.readString(console, StandardCharsets.UTF_8),
                    Files.readString(errors, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.of("could not boot " + kernel.get() + " under KVM: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while booting " + kernel.get() + " under KVM");
        } finally {
            if (qemu != null && qemu.isAlive()) {
                qemu.destroyForcibly();
            }
            deleteQuietly(console);
            deleteQuietly(errors);
        }
    }

    static List<String> argv(Path kernel) {
        return List.of(
                "qemu-system-x86_64",
                "-machine",
                "pc,accel=kvm",
                "-cpu",
                "max,la57=off",
                "-m",
                "256",
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-no-reboot",
                "-serial",
                "stdio",
                "-kernel",
                kernel.toString(),
                "-append",
                "console=ttyS0 panic=-1");
    }

    /**
     * What a boot's end, console and qemu's own errors say: empty when the kernel got as far as its no-root panic,
     * else why not.
     */
    static Optional<String> verdict(Path kernel, boolean exited, int exitCode, String console, String errors) {
        if (console.contains(BOOTED)) {
            return Optional.empty();
        }
        String consoleLine = ApplianceOutput.usefulLine(console)
                .map(line -> "; its console's last line: \"" + line + "\"")
                .orElse("; its console stayed empty");
        if (!exited) {
            return Optional.of(
                    "a KVM guest could not boot " + kernel + " within " + TIME_LIMIT.toSeconds() + " s" + consoleLine);
        }
        return Optional.of("a KVM guest booting " + kernel + " ended with status " + exitCode
                + " before the kernel had started"
                + ApplianceOutput.usefulLine(errors)
                        .map(line -> " (" + line + ")")
                        .orElse("") + consoleLine);
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("could not remove the KVM boot's output {}: {}", file, e.toString());
        }
    }
}
