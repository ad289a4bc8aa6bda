package io.imginject.worker.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.imginject.worker.host.HostTools;
import java.util.List;

/**
 * What a test needs from the host. Missing, the test is skipped on a person's machine, but fails when
 * {@code IMGINJECT_REQUIRE_ALL=1} (as in CI), so nothing is skipped quietly where everything should run.
 */
public final class HostRequirements {
    private HostRequirements() {}

    public static boolean requireAll() {
        return "1".equals(System.getenv("IMGINJECT_REQUIRE_ALL"));
    }

    /** Root, for loop devices and mounts. */
    public static void root() {
        need(HostTools.isRoot(), "this test needs root (loop devices and mounts)");
    }

    public static void tools(String... names) {
        List<String> missing = HostTools.missing(names);
        need(missing.isEmpty(), "this test needs " + missing + " (run deploy/setup-host)");
    }

    public static void need(boolean condition, String why) {
        if (condition) {
            return;
        }
        if (requireAll()) {
            fail(why + "; IMGINJECT_REQUIRE_ALL=1 forbids skipping it");
        }
        assumeTrue(false, why);
    }
}
