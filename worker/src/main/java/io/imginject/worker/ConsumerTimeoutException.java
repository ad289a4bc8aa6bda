package io.imginject.worker;

/** A worker's settings let a job hold its delivery longer than the broker's consumer timeout allows. */
public final class ConsumerTimeoutException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ConsumerTimeoutException(String message) {
        super(message);
    }
}
