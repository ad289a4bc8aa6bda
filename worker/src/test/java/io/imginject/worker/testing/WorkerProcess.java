package io.imginject.worker.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code imginject worker} as its own process, as an operator runs it, to be killed, stopped and started again.
 * It runs from the test's class path (the shaded jar is built after the tests) with the product's logging, not the
 * tests'; its log goes to a file.
 */
public final class WorkerProcess {
    private final List<String> command;
    private final Path log;
    private Process process;

    private WorkerProcess(List<String> command, Path log) {
        this.command = command;
        this.log = log;
    }

    /**
     * Starts {@code imginject worker args...} and waits until it says it is ready. Unless {@code args} name a
     * dead-letter key file, the worker takes the {@link TestDeadLetterKey}; unless they name an HTTP port, it has no
     * HTTP server (workers of many tests run at once).
     */
    public static WorkerProcess start(Path log, String... args) throws Exception {
        WorkerProcess worker = new WorkerProcess(command(args), log);
        worker.restart();
        return worker;
    }

    /**
     * The arguments of a test worker: its broker, host, {@code images} as an image root it trusts, its run directory,
     * handlers, concurrency and shutdown grace, then {@code more}.
     */
    public static String[] arguments(
            String amqpUri,
            String host,
            Path images,
            Path runDir,
            String handlers,
            int concurrency,
            int shutdownGraceSeconds,
            String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--amqp-uri",
                amqpUri,
                "--host",
                host,
                "--image-root",
                images.toString(),
                "--trusted-image-root",
                images.toString(),
                "--run-dir",
                runDir.toString(),
                "--handlers",
                handlers,
                "--concurrency",
                Integer.toString(concurrency),
                "--shutdown-grace",
                Integer.toString(shutdownGraceSeconds)));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** Runs {@code imginject worker args...} expecting it to refuse to start; returns its exit status, its output in {@code log}. */
    public static int refusedStart(Path log, String... args) throws Exception {
        Process process = new ProcessBuilder(command(args))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the worker did not exit within 60 s; see " + log);
        }
        return process.exitValue();
    }

    private static List<String> command(String... args) throws Exception {
        String productionLogging =
                Path.of(WorkerProcess.class.getResource("/logback.xml").toURI()).toString();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlogback.configurationFile=" + productionLogging,
                "-cp",
                System.getProperty("java.class.path"),
                "io.imginject.worker.cli.Main",
                "worker"));
        command.addAll(List.of(args));
        if (!command.contains("--http-port")) {
            command.addAll(List.of("--http-port", "0"));
        }
        if (!command.contains("--dead-letter-key-file")) {
            command.addAll(
                    List.of("--dead-letter-key-file", TestDeadLetterKey.file().toString()));
        }
        return command;
    }

    /** Starts the worker again with the same arguments, once the previous process is gone. */
    public void restart() throws Exception {
        int readyBefore = countInLog("ready:");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("LC_ALL", "C.UTF-8");
        process = builder.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (countInLog("ready:") <= readyBefore) {
            if (!process.isAlive()) {
                throw new AssertionError(
                        "the worker exited with " + process.exitValue() + " before it was ready; see " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the worker was not ready within 60 s; see " + log);
            }
            Thread.sleep(50);
        }
    }

    /** SIGKILL: the worker dies at once, whatever it is doing. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits for the worker to stop; returns its exit status. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(
                    "the worker did not stop within " + timeout.toSeconds() + " s of SIGTERM; see " + log);
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** How many lines of the log contain {@code text}. */
    public int countInLog(String text) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log)) {
            return (int) lines.filter(line -> line.contains(text)).count();
        }
    }
}
