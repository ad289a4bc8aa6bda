package io.imginject.worker.deadletter;

/** A dead letter whose seal does not hold: it is not to be opened, trusted or replayed. */
public final class BrokenSealException extends Exception {
    /** Why the seal does not hold. */
    public enum Reason {
        /** No worker sealed it: it was published straight to the dead-letter exchange, or dead-lettered by the broker. */
        NOT_SEALED,
        /** It names a seal version this worker does not know. */
        UNKNOWN_VERSION,
        /** It was sealed with another dead-letter key. */
        OTHER_KEY,
        /** Its body or a header its seal covers was changed after it was sealed, or it was forged. */
        TAMPERED
    }

    private final Reason reason;

    BrokenSealException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
