package io.imginject.worker.status;

import java.io.IOException;

/** The worker's HTTP server could not listen where its settings say; the message says what to change. */
public final class StatusServerException extends IOException {
    private static final long serialVersionUID = 1L;

    StatusServerException(String message, IOException cause) {
        super(message, cause);
    }
}
