package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running helper (qemu-nbd, nbdfuse, fuse2fs) run as a child of the worker's JVM, never daemonized, so its
 * exit is seen at once and it is reaped by the JVM. It counts as ready when it has written its pid file, or when
 * what it serves is there. It belongs to the
 * job that started it ({@link JobHelpers}), whose deadline may kill it.
 */
public final class HelperProcess implements JobHelpers.Helper {
    private static final Logger log = LoggerFactory.getLogger(HelperProcess.class);
    private static final int MAX_STDERR_BYTES = 64 << 10;
    /** How often readiness is checked: a pid file's size or a line of mountinfo, far cheaper than the wait they end. */
    private static final long POLL_MS = 1;

    private final String name;
    private final Process process;

    @SuppressWarnings("JdkObsolete") // its locks are needed: the reader thread appends while a job thread reads
    private final StringBuffer stderr = new StringBuffer();

    private volatile boolean endedByDeadline;

    private HelperProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(() -> drain(process.getErrorStream()), name + "-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code argv} and waits until {@code readyFile} is non-empty.
     *
     * @throws CommandFailedException if it exits first, quoting its standard error
     * @throws InjectException {@code HELPER_TIMEOUT} if it is not ready within {@code readyTimeout} (it is killed)
     */
    public static HelperProcess start(String name, List<String> argv, Path readyFile, Duration readyTimeout) {
        return start(name, argv, () -> isReady(readyFile), readyTimeout);
    }

    /** What says that a helper is ready: checked every few milliseconds while it runs. */
    @FunctionalInterface
    public interface Readiness {
        boolean reached();
    }

    /**
     * Starts {@code argv} and waits until {@code readiness} is reached.
     *
     * @throws CommandFailedException if it exits first, quoting its standard error
     * @throws InjectException {@code HELPER_TIMEOUT} if it is not ready within {@code readyTimeout} (it is killed)
     */
    public static HelperProcess start(String name, List<String> argv, Readiness readiness, Duration readyTimeout) {
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        CommandEnvironment.apply(builder);
        HelperProcess helper;
        try {
            helper = new HelperProcess(name, builder.start());
        } catch (IOException e) {
            throw new CommandFailedException(
                    argv, -1, "", "could not be started (" + e.getMessage() + "); is it installed?");
        }
        JobHelpers.adopt(helper);
        long started = System.nanoTime();
        helper.awaitReady(argv, readiness, readyTimeout);
        log.debug("{} ready (pid {}) in {} ms", name, helper.process.pid(), (System.nanoTime() - started) / 1_000_000);
        return helper;
    }

    /**
     * Waits until the helper is ready. An interrupt does not cut the wait short (a helper killed half-way up may leave a FUSE
     * mount behind); the wait ends by its own rules and the interrupt is set again for the caller.
     */
    private void awaitReady(List<String> argv, Readiness readiness, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (!readiness.reached()) {
                if (!process.isAlive()) {
                    process.onExit().join();
                    pause();
                    throw new CommandFailedException(
                            argv,
                            process.exitValue(),
                            stderr(),
                            "exited with status " + process.exitValue() + " before it was ready");
                }
                if (System.nanoTime() > deadline) {
                    kill();
                    throw new InjectException(
                            ErrorCode.HELPER_TIMEOUT, name + " was not ready within " + timeout.toMillis() + " ms");
                }
                interrupted |= pause();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sleeps a poll interval; returns whether the sleep was interrupted. */
    private static boolean pause() {
        try {
            Thread.sleep(POLL_MS);
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }

    private static boolean isReady(Path readyFile) {
        try {
            return Files.exists(readyFile) && Files.size(readyFile) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<ProcessHandle> process() {
        return process.isAlive() ? Optional.of(process.toHandle()) : Optional.empty();
    }

    @Override
    public void markEndedByDeadline() {
        endedByDeadline = true;
    }

    /**
     * Whether its job's deadline ended it: killed, or gone because a helper it talks to was, its exit status is no
     * failure of its own.
     */
    public boolean endedByDeadline() {
        return endedByDeadline;
    }

    /** What the helper wrote to standard error so far. */
    public String stderr() {
        return stderr.toString().strip();
    }

    /** Waits for the helper to exit by itself; kills it if it does not within {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        long started = System.nanoTime();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("{} (pid {}) did not exit within {} ms; killing it", name, process.pid(), timeout.toMillis());
            kill();
        }
        log.debug("{} exited in {} ms", name, (System.nanoTime() - started) / 1_000_000);
        return process.exitValue();
    }

    /**
     * Waits for the helper to exit once what it serves is released, and requires a clean exit, unless the job's
     * deadline ended it: then its death is expected.
     *
     * @throws IllegalStateException quoting its standard error, if it exited with a failure
     */
    public void awaitCleanExit(Duration timeout) throws InterruptedException {
        int status = awaitExit(timeout);
        if (status != 0 && !endedByDeadline) {
            throw new IllegalStateException(name + " exited with status " + status + ": " + stderr());
        }
    }

    private void kill() {
        process.destroyForcibly();
        process.onExit().join();
    }

    private void drain(InputStream stream) {
        try (stream) {
            byte[] buffer = new byte[4096];
            int read;
            while ((read = stream.read(buffer)) >= 0) {
                if (stderr.length() < MAX_STDERR_BYTES) {
                    stderr.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            // the helper closed its standard error; nothing more to read
        }
    }
}
