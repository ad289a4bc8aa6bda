package io.imginject.worker.host;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs short-lived host tools (losetup, mount, blkid, qemu-img, ...) to completion with a time limit, in the
 * {@link CommandEnvironment}. An interrupt does not cut a tool short: a losetup or mount
 * killed half-way could leave a device or mount nobody knows of. The tool runs to its end (the time limit still
 * holds) and the interrupt is set again for the caller. Commands never carry secrets in their arguments, so they
 * are logged at debug level.
 */
public final class ProcessRunner {
    private static final Logger log = LoggerFactory.getLogger(ProcessRunner.class);
    private static final int MAX_CAPTURED_BYTES = 1 << 20;
    private static final ExecutorService STREAM_READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "process-output");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;

    public ProcessRunner(Duration timeout) {
        this.timeout = timeout;
    }

    /** Runs {@code argv}; a non-zero exit is a {@link CommandFailedException}. */
    public CommandResult run(List<String> argv) {
        CommandResult result = runAllowingFailure(argv);
        if (!result.succeeded()) {
            throw new CommandFailedException(
                    argv, result.exitCode(), result.stderr(), "exited with status " + result.exitCode());
        }
        return result;
    }

    public CommandResult run(String... argv) {
        return run(List.of(argv));
    }

    /** Runs {@code argv} and returns however it ended; only a failure to start or a timeout throws. */
    public CommandResult runAllowingFailure(List<String> argv) {
        long started = System.nanoTime();
        ProcessBuilder builder =
                new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        CommandEnvironment.apply(builder);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new CommandFailedException(
                    argv, -1, "", "could not be started (" + e.getMessage() + "); is it installed?");
        }
        CompletableFuture<String> stdout =
                CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), STREAM_READERS);
        CompletableFuture<String> stderr =
                CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), STREAM_READERS);
        boolean interrupted = false;
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        process.descendants().forEach(ProcessHandle::destroyForcibly);
                        process.destroyForcibly();
                        process.onExit().join();
                        throw new CommandFailedException(
                                argv, -1, "", "did not finish within " + timeout.toSeconds() + " s and was killed");
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            CommandResult result = new CommandResult(argv, process.exitValue(), stdout.join(), stderr.join());
            log.debug("{} -> {} in {} ms", argv, result.exitCode(), (System.nanoTime() - started) / 1_000_000);
            return result;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String drain(InputStream stream) {
        try (stream) {
            byte[] kept = stream.readNBytes(MAX_CAPTURED_BYTES);
            stream.transferTo(OutputStream.nullOutputStream());
            return new String(kept, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
