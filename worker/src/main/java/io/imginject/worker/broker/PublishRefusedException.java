package io.imginject.worker.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * A publish that can never succeed as it is: the client library refused to encode it (its headers do not fit in
 * one frame, a short string is over 255 bytes), or the broker closed the channel over the message itself (over
 * its size limit, a frame error). Trying the same message again fails the same way, so it is not retried; the
 * caller sends something smaller instead, or gives up on that message, and never requeues the request for it.
 */
public final class PublishRefusedException extends IOException {
    /** PRECONDITION_FAILED (e.g. over max_message_size), FRAME_ERROR, SYNTAX_ERROR, UNEXPECTED_FRAME. */
    private static final Set<Integer> REFUSING_CODES =
            Set.of(AMQP.PRECONDITION_FAILED, AMQP.FRAME_ERROR, AMQP.SYNTAX_ERROR, AMQP.UNEXPECTED_FRAME);

    PublishRefusedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The client library would not send the message. */
    static PublishRefusedException byClient(IllegalArgumentException e) {
        return new PublishRefusedException("the AMQP client cannot send it: " + e.getMessage(), e);
    }

    /** The refusal {@code e} is, when the broker closed the channel or connection over the message itself. */
    static Optional<PublishRefusedException> byBroker(ShutdownSignalException e) {
        if (e.isInitiatedByApplication()) {
            return Optional.empty();
        }
        Method reason = e.getReason();
        if (reason instanceof AMQP.Channel.Close close && REFUSING_CODES.contains(close.getReplyCode())) {
            return Optional.of(new PublishRefusedException("the broker refused it: " + close.getReplyText(), e));
        }
        if (reason instanceof AMQP.Connection.Close close && REFUSING_CODES.contains(close.getReplyCode())) {
            return Optional.of(new PublishRefusedException("the broker refused it: " + close.getReplyText(), e));
        }
        return Optional.empty();
    }
}
