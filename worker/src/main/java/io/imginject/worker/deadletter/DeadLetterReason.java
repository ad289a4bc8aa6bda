package io.imginject.worker.deadletter;

import io.imginject.protocol.ErrorCode;
import java.util.List;
import java.util.Optional;

/**
 * Why a request was given up on, as its dead-letter headers tell it.
 *
 * @param code the error code
 * @param message what went wrong
 * @param exceptionClass the class of the exception that failed it, where there was one
 * @param handlersTried the handlers that tried to open the image, in order
 */
public record DeadLetterReason(ErrorCode code, String message, Optional<String> exceptionClass, List<String> handlersTried) {

    public DeadLetterReason {
        handlersTried = List.copyOf(handlersTried);
    }

    public static DeadLetterReason of(ErrorCode code, String message) {
        return new DeadLetterReason(code, message, Optional.empty(), List.of());
    }
}
