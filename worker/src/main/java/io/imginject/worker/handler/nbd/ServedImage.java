package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.HelperProcesses;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.WorkDirectory;
import io.imginject.worker.image.DiskImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An image qemu-nbd serves as a raw disk on a unix socket in a private work directory of its own, reading the
 * image's whole chain through the worker's descriptors ({@link DiskImage#qemuSpec()}). Whoever reads it (nbdfuse,
 * the libguestfs appliance) may keep more files in the work directory. Closing stops qemu-nbd, which flushes the
 * image as it exits, then removes the work directory.
 */
public final class ServedImage implements AutoCloseable {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    /** How long qemu-nbd serves. */
    public enum Lifetime {
        /** Until the image is closed, whoever connects and disconnects meanwhile. */
        UNTIL_CLOSED,
        /**
         * Until its one client disconnects, or the image is closed: a client that dies (an appliance whose worker was
         * killed) takes qemu-nbd with it instead of leaving it to crash recovery.
         */
        UNTIL_ITS_CLIENT_LEAVES
    }

    private final Path work;
    private final Cleanup cleanup;

    private ServedImage(Path work, Cleanup cleanup) {
        this.work = work;
        this.cleanup = cleanup;
    }

    /**
     * Starts qemu-nbd on {@code image}, ready once it has written its pid file.
     *
     * @param workBase a directory only root can enter
     */
    public static ServedImage serve(
            DiskImage image, Lifetime lifetime, Path workBase, Duration readyTimeout, HostResources resources) {
        try (Cleanup cleanup = new Cleanup()) {
            WorkDirectory directory = WorkDirectory.freshIn(workBase, "nbd-");
            Path work = directory.path();
            resources.take(cleanup, directory, directory::create);
            resources.take(
                    cleanup,
                    new HelperProcesses(work),
                    () -> start(image, lifetime, work, readyTimeout),
                    ServedImage::expectCleanExit);
            return new ServedImage(work, cleanup.handOver());
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not prepare the nbd work directory: " + e, e);
        }
    }

    private static HelperProcess start(DiskImage image, Lifetime lifetime, Path work, Duration readyTimeout) {
        List<String> argv = new ArrayList<>(List.of(
                "qemu-nbd",
                "--socket=" + work.resolve("nbd.sock"),
                "--pid-file=" + work.resolve("qemu-nbd.pid"),
                "--discard=unmap"));
        if (lifetime == Lifetime.UNTIL_CLOSED) {
            argv.add("--persistent");
        }
        argv.add(image.qemuSpec());
        try {
            return HelperProcess.start("qemu-nbd", argv, work.resolve("qemu-nbd.pid"), readyTimeout);
        } catch (CommandFailedException e) {
            throw QemuNbdErrors.of(image, e);
        }
    }

    /** The unix socket qemu-nbd serves the image on. */
    public Path socket() {
        return work.resolve("nbd.sock");
    }

    /** The private work directory, for whoever reads the image to keep its own files in. */
    public Path work() {
        return work;
    }

    /**
     * A helper must exit cleanly once what it serves is released, unless the job's deadline ended it: then its death
     * is expected.
     */
    static void expectCleanExit(HelperProcess helper) throws InterruptedException {
        helper.awaitCleanExit(EXIT_TIMEOUT);
    }

    @Override
    public void close() {
        cleanup.close();
    }
}
