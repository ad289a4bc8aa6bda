package io.imginject.worker.host;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for a process, a child of this JVM or not, to end. */
final class ProcessEnds {
    private ProcessEnds() {}

    /** Waits until {@code process} has ended; kills it (SIGKILL) if it has not within {@code wait}. Returns whether it was killed. */
    static boolean awaitOrKill(ProcessHandle process, Duration wait) throws InterruptedException {
        try {
            process.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return false;
        } catch (TimeoutException e) {
            process.destroyForcibly();
            process.onExit().join();
            return true;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }
}
