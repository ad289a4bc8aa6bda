package io.imginject.worker.deadletter;

import java.io.IOException;

/** The dead-letter key file cannot be used; the message says which file and what to do about it. */
public final class DeadLetterKeyException extends IOException {
    /** What is wrong with the key file. */
    public enum Reason {
        /** There is no such file. */
        MISSING,
        /** It exists but cannot be read (permissions, not a regular file). */
        UNREADABLE,
        /** It does not hold exactly {@value DeadLetterKey#BYTES} bytes. */
        WRONG_SIZE,
        /** Its group or others have permissions on it, so the key is not secret to the workers and the operator. */
        TOO_OPEN
    }

    private final Reason reason;

    DeadLetterKeyException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
