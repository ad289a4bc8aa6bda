package io.imginject.worker.handler.guestfs;

import java.time.Duration;

/**
 * How the libguestfs appliance is started.
 *
 * @param forceTcg run the appliance under software emulation even where /dev/kvm exists (needed where KVM is
 *     present but unusable, as on hosts whose /dev/kvm is a PVM device)
 * @param memoryMib the appliance's memory
 * @param vcpus the appliance's virtual CPUs
 * @param launchTimeout how long a launch may take before it is killed and counted as a transient failure
 */
public record GuestfsSettings(boolean forceTcg, int memoryMib, int vcpus, Duration launchTimeout) {

    public static final GuestfsSettings DEFAULT = new GuestfsSettings(false, 512, 2, Duration.ofMinutes(3));

    public GuestfsSettings {
        if (memoryMib < 256) {
            throw new IllegalArgumentException("the appliance needs at least 256 MiB, got " + memoryMib);
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("the appliance needs at least one vCPU, got " + vcpus);
        }
    }
}
