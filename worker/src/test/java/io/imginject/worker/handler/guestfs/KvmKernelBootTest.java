package io.imginject.worker.handler.guestfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * KVM counts as able to run appliances only when the appliance's own kernel boots under it to its end; a host whose
 * KVM runs the tiny real-mode guest but spins once the kernel leaves real mode is told apart, with what the console
 * showed.
 */
@Tag("fast")
class KvmKernelBootTest {
    private static final Path KERNEL = Path.of("/boot/vmlinuz-6.1.0-57-amd64");

    @Test
    void a_kernel_that_reached_its_no_root_panic_booted() {
        String console = """
                [    0.000000] Linux version 6.1.0-57-amd64
                [    1.685131] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
                """;

        assertThat(KvmKernelBoot.verdict(KERNEL, true, 0, console, "")).isEmpty();
    }

    @Test
    void a_kernel_that_did_not_get_there_in_time_is_a_problem_naming_the_consoles_last_line() {
        assertThat(KvmKernelBoot.verdict(KERNEL, false, -1, "Probing EDD (edd=off to disable)... ok\n", ""))
                .contains("a KVM guest could not boot /boot/vmlinuz-6.1.0-57-amd64 within 15 s;"
                        + " its console's last line: \"Probing EDD (edd=off to disable)... ok\"");
        assertThat(KvmKernelBoot.verdict(KERNEL, false, -1, "", ""))
                .contains("a KVM guest could not boot /boot/vmlinuz-6.1.0-57-amd64 within 15 s;"
                        + " its console stayed empty");
    }

    @Test
    void a_qemu_that_ended_first_is_a_problem_quoting_qemu() {
        assertThat(KvmKernelBoot.verdict(
                        KERNEL, true, 1, "", "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n"))
                .contains("a KVM guest booting /boot/vmlinuz-6.1.0-57-amd64 ended with status 1 before the kernel"
                        + " had started (qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69);"
                        + " its console stayed empty");
    }

    @Test
    void the_appliance_kernel_is_the_newest_by_version_not_by_text() {
        assertThat(ApplianceKernel.compareVersions("vmlinuz-6.1.0-57-amd64", "vmlinuz-6.1.0-9-amd64"))
                .isPositive();
        assertThat(ApplianceKernel.compareVersions("vmlinuz-5.10.0-30-amd64", "vmlinuz-6.1.0-9-amd64"))
                .isNegative();
    }
}
