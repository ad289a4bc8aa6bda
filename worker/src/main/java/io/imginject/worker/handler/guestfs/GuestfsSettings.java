package io.imginject.worker.handler.guestfs;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How the libguestfs appliance is started.
 *
 * @param tcg whether the appliance runs under software emulation (TCG) rather than KVM
 * @param memoryMib the appliance's memory
 * @param vcpus the appliance's virtual CPUs
 * @param launchTimeout how long a launch may take before it is killed and counted as a transient failure
 */
public record GuestfsSettings(TcgMode tcg, int memoryMib, int vcpus, Duration launchTimeout) {

    public static final GuestfsSettings DEFAULT = new GuestfsSettings(TcgMode.AUTO, 512, 2, Duration.ofMinutes(3));

    /** The setting {@code guestfs-force-tcg}. */
    public enum TcgMode {
        /** TCG where /dev/kvm is missing or cannot run a guest ({@link KvmCheck}), found out once when the worker starts. */
        AUTO("auto"),
        /** Always TCG. */
        ALWAYS("true"),
        /** libguestfs's own choice: KVM where /dev/kvm opens, else TCG. */
        NEVER("false");

        private final String settingValue;

        TcgMode(String settingValue) {
            this.settingValue = settingValue;
        }

        /** The value as written in a setting: {@code auto}, {@code true} or {@code false}. */
        public String settingValue() {
            return settingValue;
        }

        public static Optional<TcgMode> fromSettingValue(String value) {
            String lower = value.strip().toLowerCase(Locale.ROOT);
            return Arrays.stream(values())
                    .filter(mode -> mode.settingValue.equals(lower))
                    .findFirst();
        }
    }

    public GuestfsSettings {
        if (memoryMib < 256) {
            throw new IllegalArgumentException("the appliance needs at least 256 MiB, got " + memoryMib);
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("the appliance needs at least one vCPU, got " + vcpus);
        }
    }
}
