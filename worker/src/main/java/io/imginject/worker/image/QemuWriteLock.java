package io.imginject.worker.image;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.HeldChannels;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

/**
 * qemu's image locking, taken part in by the handlers that write an image without qemu (loop). qemu locks byte
 * {@code 100 + p} of an image file to say "I hold permission p" and byte {@code 200 + p} to say "nobody else may
 * have p"; permission 1 is write. Holding both write bytes shared tells qemu the image is being written and may
 * not be written by anyone else, so a VM cannot start on it mid-injection; failing to take them means a VM (or
 * another qemu) already writes the image or forbids writers, and the image must not be touched. POSIX record
 * locks, which the JVM takes, and qemu's OFD locks conflict with each other on Linux. They are taken on the job's own
 * descriptor of the image, which is registered with {@link HeldChannels} under the path tools are given: any other
 * channel of this JVM closing on the image would drop the locks.
 */
public final class QemuWriteLock implements AutoCloseable {
    private static final long HOLDS_WRITE = 101;
    private static final long FORBIDS_WRITE = 201;

    private final HeldImageFile image;
    private final FileLock holds;
    private final FileLock forbids;

    private QemuWriteLock(HeldImageFile image, FileLock holds, FileLock forbids) {
        this.image = image;
        this.holds = holds;
        this.forbids = forbids;
    }

    /**
     * Declares to qemu that the caller writes {@code image} until closed, through the worker's own descriptor of it.
     *
     * @throws InjectException {@code IMAGE_IN_USE} when another process writes the image or forbids writers
     */
    public static QemuWriteLock acquire(HeldImageFile image) {
        FileChannel channel = image.channel();
        try {
            checkNotInUse(image);
            FileLock holds = channel.tryLock(HOLDS_WRITE, 1, true);
            FileLock forbids = channel.tryLock(FORBIDS_WRITE, 1, true);
            if (holds == null || forbids == null) {
                release(holds);
                release(forbids);
                throw new InjectException(
                        ErrorCode.IMAGE_IN_USE, image + " was locked by another process while the worker took it");
            }
            HeldChannels.hold(image.toolPath(), channel);
            return new QemuWriteLock(image, holds, forbids);
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not take qemu's lock on " + image + ": " + e, e);
        }
    }

    /**
     * Refuses {@code image} when qemu's lock shows another process writing it or forbidding writers, as
     * {@code qemu-img info} would, without taking anything.
     *
     * @throws InjectException {@code IMAGE_IN_USE} when it does
     */
    public static void checkNotInUse(HeldImageFile image) {
        FileChannel channel = image.channel();
        try {
            if (!free(channel, HOLDS_WRITE) || !free(channel, FORBIDS_WRITE)) {
                throw new InjectException(
                        ErrorCode.IMAGE_IN_USE,
                        image + " is in use: qemu's image lock shows another process "
                                + "(a running VM?) writing it or forbidding writers; it was not touched");
            }
        } catch (IOException e) {
            throw new InjectException(ErrorCode.INTERNAL_ERROR, "could not read qemu's lock on " + image + ": " + e, e);
        }
    }

    private static void release(FileLock lock) throws IOException {
        if (lock != null) {
            lock.release();
        }
    }

    /** Whether nobody holds byte {@code offset}: an exclusive test lock there succeeds (and is dropped at once). */
    private static boolean free(FileChannel channel, long offset) throws IOException {
        FileLock probe = channel.tryLock(offset, 1, false);
        if (probe == null) {
            return false;
        }
        probe.release();
        return true;
    }

    @Override
    public void close() throws IOException {
        HeldChannels.release(image.toolPath());
        holds.release();
        forbids.release();
    }
}
