package io.imginject.worker.pipeline;

import java.util.Optional;

/**
 * How a request ended: its encoded reply (sent where the request has a reply address, kept where it has a dedup
 * id) and, for one that failed, how.
 */
@SuppressWarnings("ArrayRecordComponent") // carries a body to the AMQP client's byte[]; never compared
public record Ending(byte[] reply, Optional<Failure> failure) {

    public static Ending ok(byte[] reply) {
        return new Ending(reply, Optional.empty());
    }

    public static Ending failed(byte[] reply, Failure failure) {
        return new Ending(reply, Optional.of(failure));
    }

    /** How it ended in words: {@code ok}, or {@code with} and the failure's name. */
    public String inWords() {
        return failure.map(f -> "with " + f.name()).orElse("ok");
    }
}
