package io.imginject.worker.failure;

import io.imginject.protocol.ErrorCode;
import org.slf4j.MDC;

/** The log field (MDC key {@value #NAME}) that carries an error code on the lines reporting a failure. */
public final class ErrorCodeLogField {
    public static final String NAME = "error_code";

    private ErrorCodeLogField() {}

    /** Sets the field to {@code code} until the returned value is closed. */
    public static MDC.MDCCloseable set(ErrorCode code) {
        return MDC.putCloseable(NAME, code.wireName());
    }
}
