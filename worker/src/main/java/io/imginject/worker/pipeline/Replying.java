package io.imginject.worker.pipeline;

import com.rabbitmq.client.Delivery;
import io.imginject.protocol.ErrorCode;
import io.imginject.worker.broker.PublishNackedException;
import io.imginject.worker.broker.PublishRefusedException;
import io.imginject.worker.broker.PublishRetry;
import io.imginject.worker.deadletter.DeadLetterReason;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a request's reply through its protocol's {@link Replies}, retrying while the broker is away. A reply refused as it is
 * becomes the protocol's small {@code reply_refused} failure, which says how the request ended; one the reply queue
 * keeps nacking is given up. Either way the request is dead-lettered with that reason, unless it was already, and
 * is not requeued: the same reply would be refused again.
 */
final class Replying<A extends ReplyQueue> {
    private static final Logger log = LoggerFactory.getLogger(Replying.class);

    private final Replies<A> replies;
    private final DeadLettering deadLetters;
    private final PublishRetry retry;

    Replying(Replies<A> replies, DeadLettering deadLetters, PublishRetry retry) {
        this.replies = replies;
        this.deadLetters = deadLetters;
        this.retry = retry;
    }

    /**
     * Sends {@code reply} where {@code request} asks for it; nothing for a request without a reply address.
     *
     * @param ending how the request ended, for the reason a refused reply is dead-lettered with
     * @param deadLettered whether the request is dead-lettered already
     * @throws IOException when the broker stayed away: the request goes back to its queue
     */
    void send(Delivery delivery, Request<A> request, byte[] reply, String ending, boolean deadLettered)
            throws IOException {
        if (request.replyTo().isEmpty()) {
            return;
        }
        A to = request.replyTo().get();
        try {
            retry.run(() -> replies.send(to, request.jobId(), reply));
        } catch (PublishRefusedException e) {
            String message = "the request ended " + ending + ", but its reply (" + reply.length
                    + " bytes) could not be published: " + e.getMessage();
            log.error("{}; answering with a reply_refused failure instead", message);
            if (!deadLettered) {
                deadLetters.publish(delivery, request.origin(), DeadLetterReason.of(ErrorCode.REPLY_REFUSED, message));
            }
            byte[] refused = replies.replyRefused(to, request.jobId(), message);
            try {
                retry.run(() -> replies.send(to, request.jobId(), refused));
            } catch (PublishRefusedException | PublishNackedException again) {
                log.error(
                        "the reply_refused failure was refused too ({}); the caller gets no reply", again.getMessage());
            }
        } catch (PublishNackedException e) {
            String message = "the request ended " + ending + ", but its reply queue " + to.queue()
                    + " kept refusing the reply: " + e.getMessage();
            log.error("{}; the reply is given up", message);
            if (!deadLettered) {
                deadLetters.publish(delivery, request.origin(), DeadLetterReason.of(ErrorCode.REPLY_REFUSED, message));
            }
        }
    }
}
