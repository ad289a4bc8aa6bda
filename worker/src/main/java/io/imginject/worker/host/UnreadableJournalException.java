package io.imginject.worker.host;

import java.io.IOException;

/** A complete journal line this worker cannot read: an operation or kind it does not know, or a field missing. */
public final class UnreadableJournalException extends IOException {
    public UnreadableJournalException(String message) {
        super(message);
    }
}
