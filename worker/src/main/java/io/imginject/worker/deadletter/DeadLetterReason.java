package io.imginject.worker.deadletter;

import io.imginject.protocol.ErrorCode;
import java.util.List;

/**
 * Why a request was given up on, as its dead-letter headers tell it.
 *
 * @param code the error code
 * @param message what went wrong
 * @param handlersTried the handlers that tried to open the image, in order
 */
public record DeadLetterReason(ErrorCode code, String message, List<String> handlersTried) {

    public DeadLetterReason {
        handlersTried = List.copyOf(handlersTried);
    }

    public static DeadLetterReason of(ErrorCode code, String message) {
        return new DeadLetterReason(code, message, List.of());
    }
}
