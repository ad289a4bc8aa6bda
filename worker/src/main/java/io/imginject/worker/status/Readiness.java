package io.imginject.worker.status;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Whether the worker takes work now, for {@code /readyz}: not while it starts, not once it drains for a shutdown,
 * and in between only while every one of its checks passes (connected, consuming on every door, run directory
 * writable).
 */
public final class Readiness {
    /**
     * One condition of readiness.
     *
     * @param failure what is wrong when it does not pass, in words for the operator
     */
    public record Check(String failure, BooleanSupplier passes) {}

    private volatile List<Check> checks = List.of(new Check("starting", () -> false));
    private volatile boolean draining;

    /** The worker is up: from now on it is ready while all of {@code conditions} pass. */
    public void started(List<Check> conditions) {
        checks = List.copyOf(conditions);
    }

    /** The worker stops taking work (SIGTERM): not ready again, whatever its checks say. */
    public void draining() {
        draining = true;
    }

    /** What keeps the worker from being ready; empty when it is. */
    public List<String> problems() {
        if (draining) {
            return List.of("draining: the worker is stopping and finishes the jobs it runs");
        }
        return checks.stream()
                .filter(check -> !check.passes().getAsBoolean())
                .map(Check::failure)
                .toList();
    }
}
