package io.imginject.worker.handler.guestfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.worker.handler.guestfs.GuestfsSettings.TcgMode;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** How {@code guestfs-force-tcg} becomes TCG or KVM, and what a KVM check or a failed launch is reported as. */
class ApplianceAccelerationTest {
    private static final String PVM_ABORT = """
            qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69
            qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.
            """;

    @Test
    void auto_runs_under_tcg_when_kvm_cannot_run_a_guest_and_says_why() {
        ApplianceAcceleration acceleration =
                ApplianceAcceleration.decide(TcgMode.AUTO, () -> KvmCheck.verdict(134, PVM_ABORT));

        assertThat(acceleration.tcg()).isTrue();
        assertThat(acceleration.reason())
                .isEqualTo("TCG, since a KVM guest did not run: qemu exited with status 134"
                        + " (qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69)");
    }

    @Test
    void auto_uses_kvm_when_the_test_guest_ran() {
        assertThat(KvmCheck.verdict(KvmCheck.GUEST_RAN, "")).isEmpty();
        assertThat(ApplianceAcceleration.decide(TcgMode.AUTO, Optional::empty).tcg())
                .isFalse();
    }

    @Test
    void true_and_false_are_taken_as_said_without_checking_kvm() {
        AtomicInteger checks = new AtomicInteger();
        Supplier<Optional<String>> counted = () -> {
            checks.incrementAndGet();
            return Optional.of("broken");
        };

        assertThat(ApplianceAcceleration.decide(TcgMode.ALWAYS, counted).tcg()).isTrue();
        assertThat(ApplianceAcceleration.decide(TcgMode.NEVER, counted).tcg()).isFalse();
        assertThat(checks).hasValue(0);
    }

    @Test
    void the_setting_reads_auto_true_and_false() {
        assertThat(TcgMode.fromSettingValue("auto")).contains(TcgMode.AUTO);
        assertThat(TcgMode.fromSettingValue(" TRUE")).contains(TcgMode.ALWAYS);
        assertThat(TcgMode.fromSettingValue("false")).contains(TcgMode.NEVER);
        assertThat(TcgMode.fromSettingValue("yes")).isEmpty();
    }

    @Test
    void the_firmware_puts_its_exit_at_the_reset_vector() {
        byte[] firmware = KvmCheck.firmware();

        assertThat(firmware).hasSize(64 * 1024);
        assertThat(firmware[firmware.length - 16] & 0xff).as("mov al, 1").isEqualTo(0xb0);
        assertThat(firmware[firmware.length - 14] & 0xff).as("out 0xf4, al").isEqualTo(0xe6);
    }

    @Test
    void a_failed_launch_is_told_by_qemus_line_not_libguestfs_boilerplate() {
        assertThat(ApplianceOutput.usefulLine(PVM_ABORT))
                .contains("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69");
        assertThat(ApplianceOutput.usefulLine(
                        "\u001b[1mSeaBIOS\r\nBooting from ROM...\r\n[    1.2] Kernel panic - not syncing: VFS\n"))
                .contains("[    1.2] Kernel panic - not syncing: VFS");
        assertThat(ApplianceOutput.usefulLine("first\nlast words\n")).contains("last words");
        assertThat(ApplianceOutput.usefulLine("\n \n")).isEmpty();
    }

    @Test
    void the_kept_output_is_bounded() {
        ApplianceOutput output = new ApplianceOutput();
        String chunk = "x".repeat(1000) + "\n";
        for (int i = 0; i < 100; i++) {
            output.event(0, 0, chunk, new long[0]);
        }
        output.event(0, 0, "qemu: error: the end\n", new long[0]);

        assertThat(output.usefulLine()).contains("qemu: error: the end");
    }
}
