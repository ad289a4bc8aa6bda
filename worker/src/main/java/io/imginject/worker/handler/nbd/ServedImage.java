package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.Cleanup;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.HeldResource;
import io.imginject.worker.host.HelperProcess;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.image.DiskImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * An image qemu-nbd serves as a raw disk on a unix socket in a private work directory of its own, reading the
 * image's whole chain through the worker's descriptors ({@link DiskImage#qemuSpec()}). Whoever reads it (nbdfuse,
 * the libguestfs appliance) may keep more files in the work directory. Closing stops qemu-nbd, which flushes the
 * image as it exits, then removes the work directory.
 */
public final class ServedImage implements AutoCloseable {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

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
    public static ServedImage serve(DiskImage image, Lifetime lifetime, Path workBase, Duration readyTimeout, ResourceJournal journal) {
        Cleanup cleanup = new Cleanup();
        try {
            Path work = workBase.resolve("nbd-" + HexFormat.of().formatHex(randomBytes()));
            ResourceJournal.Entry workEntry = journal.acquired(HeldResource.directory(work));
            ResourceJournal.Entry helpers = journal.acquired(HeldResource.helpers(work));
            cleanup.push("remove " + work, workEntry, () -> {
                deleteTree(work);
                helpers.released();
            });
            Files.createDirectory(work, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path socket = work.resolve("nbd.sock");
            HelperProcess qemuNbd;
            try {
                List<String> argv = new ArrayList<>(List.of("qemu-nbd", "--socket=" + socket, "--pid-file=" + work.resolve("qemu-nbd.pid"),
                        "--discard=unmap"));
                if (lifetime == Lifetime.UNTIL_CLOSED) {
                    argv.add("--persistent");
                }
                argv.add(image.qemuSpec());
                qemuNbd = HelperProcess.start("qemu-nbd", argv, work.resolve("qemu-nbd.pid"), readyTimeout);
            } catch (CommandFailedException e) {
                throw QemuNbdErrors.of(image, e);
            }
            cleanup.push("stop qemu-nbd (pid " + qemuNbd.pid() + ")", () -> expectCleanExit("qemu-nbd", qemuNbd.stop(EXIT_TIMEOUT), qemuNbd));
            return new ServedImage(work, cleanup.handOver());
        } catch (IOException e) {
            throw cleanup.releaseAfter(new InjectException(ErrorCode.INTERNAL_ERROR, "could not prepare the nbd work directory: " + e, e));
        } catch (RuntimeException e) {
            throw cleanup.releaseAfter(e);
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

    /** A helper must exit cleanly when stopped, unless the job's deadline ended it: then its death is expected. */
    static void expectCleanExit(String name, int status, HelperProcess helper) {
        if (status != 0 && !helper.endedByDeadline()) {
            throw new IllegalStateException(name + " exited with status " + status + ": " + helper.stderr());
        }
    }

    private static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (var walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    @Override
    public void close() {
        cleanup.close();
    }
}
