package io.imginject.worker.guest;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;

/**
 * A guest path the worker will not write through: a symlink where the operation would follow or replace it,
 * a symlink loop, a file where a directory must be, or a device where a file must be.
 */
public final class UnsafePathException extends InjectException {
    public UnsafePathException(GuestPath path, String why) {
        super(ErrorCode.UNSAFE_PATH, path + " " + why);
    }
}
