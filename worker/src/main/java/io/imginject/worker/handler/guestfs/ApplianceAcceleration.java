package io.imginject.worker.handler.guestfs;

import io.imginject.worker.handler.guestfs.GuestfsSettings.TcgMode;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Whether appliances run under TCG, decided once for the worker's life from {@code guestfs-force-tcg}, and why.
 *
 * @param tcg whether libguestfs is told {@code force_tcg}
 * @param reason why, for the worker's log and {@code doctor}
 */
public record ApplianceAcceleration(boolean tcg, String reason) {

    /** Decides for {@code mode}, running the {@link KvmCheck} (in {@code workDirectory}) only for {@code auto}. */
    public static ApplianceAcceleration decide(TcgMode mode, Path workDirectory) {
        return decide(mode, () -> KvmCheck.problem(workDirectory));
    }

    static ApplianceAcceleration decide(TcgMode mode, Supplier<Optional<String>> kvmProblem) {
        return switch (mode) {
            case ALWAYS -> new ApplianceAcceleration(true, "TCG, as guestfs-force-tcg is true");
            case NEVER ->
                new ApplianceAcceleration(
                        false, "libguestfs's choice (KVM where /dev/kvm opens), as guestfs-force-tcg is false");
            case AUTO ->
                kvmProblem
                        .get()
                        .map(problem -> new ApplianceAcceleration(true, "TCG, since " + problem))
                        .orElseGet(() -> new ApplianceAcceleration(false, "KVM, which ran a test guest"));
        };
    }
}
