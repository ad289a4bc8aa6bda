package io.imginject.worker.testing;

import io.imginject.worker.host.ProcessRunner;
import java.time.Duration;
import java.util.List;

/** Host tools for building and inspecting test images; a failure fails the test with the tool's message. */
public final class Commands {
    private static final ProcessRunner RUNNER = new ProcessRunner(Duration.ofMinutes(2));

    private Commands() {}

    public static String run(String... argv) {
        return RUNNER.run(List.of(argv)).stdout();
    }

    public static String run(List<String> argv) {
        return RUNNER.run(argv).stdout();
    }
}
