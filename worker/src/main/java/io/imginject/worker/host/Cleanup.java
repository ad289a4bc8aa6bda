package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases acquired host resources in reverse order of acquisition. Every step runs even when an earlier one
 * fails; the failures are reported together as {@code CLEANUP_FAILED}. Opened in a try-with-resources block, it
 * releases what was taken when the block fails (its failures suppressed on the block's), and nothing once
 * {@link #handOver} gave what was taken to the caller.
 */
public final class Cleanup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cleanup.class);

    /** One release action. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private record Named(String what, Step step) {}

    private final Deque<Named> steps = new ArrayDeque<>();

    /** Registers {@code step}, described as {@code what}, to run before everything registered earlier. */
    public void push(String what, Step step) {
        steps.push(new Named(what, step));
    }

    /** Moves every registered step into a new Cleanup, leaving this one empty: hands over ownership. */
    public Cleanup handOver() {
        Cleanup taker = new Cleanup();
        taker.steps.addAll(steps);
        steps.clear();
        return taker;
    }

    /**
     * Runs every step, newest first. An interrupt of the calling thread (a worker shutting down) is held back while
     * the steps run, so that unmounting and detaching still happen, and set again afterwards.
     */
    @Override
    public void close() {
        boolean interrupted = Thread.interrupted();
        try {
            releaseAll();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void releaseAll() {
        List<String> failures = new ArrayList<>();
        while (!steps.isEmpty()) {
            Named named = steps.pop();
            long started = System.nanoTime();
            try {
                named.step().run();
                log.debug("{} in {} ms", named.what(), (System.nanoTime() - started) / 1_000_000);
            } catch (Exception e) {
                log.error("cleanup failed: {}", named.what(), e);
                failures.add(named.what() + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new InjectException(ErrorCode.CLEANUP_FAILED, String.join("; ", failures));
        }
    }
}
