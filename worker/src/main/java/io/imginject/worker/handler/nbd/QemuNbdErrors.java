package io.imginject.worker.handler.nbd;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.image.DiskImage;

/** Turns qemu-nbd's failure to serve an image into the error a requester can act on. */
final class QemuNbdErrors {
    private QemuNbdErrors() {}

    static InjectException of(DiskImage image, CommandFailedException e) {
        String stderr = e.stderr().strip();
        if (stderr.contains("lock") && stderr.contains("Is another process using the image")) {
            return new InjectException(
                    ErrorCode.IMAGE_IN_USE,
                    image.path() + " is in use by another process (qemu's image lock): " + stderr,
                    e);
        }
        return new InjectException(
                ErrorCode.IMAGE_CORRUPT,
                "qemu-nbd cannot serve " + image + ": " + (stderr.isEmpty() ? e.getMessage() : stderr),
                e);
    }
}
