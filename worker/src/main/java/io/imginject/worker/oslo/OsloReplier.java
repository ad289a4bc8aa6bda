package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.rabbitmq.client.AMQP;
import io.imginject.protocol.ErrorCode;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.pipeline.Replies;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes replies exactly as oslo's client needs them: to the default exchange with the call's reply queue as
 * routing key and the mandatory flag, {@code content_type} exactly {@code application/json} (anything else and the
 * client drops the reply), {@code content_encoding utf-8}, persistent, priority 0, empty headers.
 */
final class OsloReplier implements Replies<ReplyAddress> {
    private static final Logger log = LoggerFactory.getLogger(OsloReplier.class);
    private static final AMQP.BasicProperties PROPERTIES = new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .contentEncoding("utf-8")
            .deliveryMode(2)
            .priority(0)
            .headers(Map.of())
            .build();

    private final ConfirmedPublisher publisher;

    OsloReplier(ConfirmedPublisher publisher) {
        this.publisher = publisher;
    }

    /** The final reply body: a result, or a failure, with {@code ending: true}. */
    static byte[] finalReply(ReplyAddress to, JsonNode result, Optional<OsloFailure> failure) {
        return OsloEnvelope.reply(to.msgId(), result, failure, true);
    }

    /** Sends a reply; one whose queue is gone (the caller gave up) is returned by the broker and logged. */
    @Override
    public void send(ReplyAddress to, String jobId, byte[] body) throws IOException {
        publisher
                .publishMandatory("", to.queue(), PROPERTIES, body)
                .ifPresent(reason -> log.warn(
                        "the caller's reply queue is gone, reply to message {} dropped: {}", to.msgId(), reason));
    }

    /** A {@code ReplyRefused} failure. */
    @Override
    public byte[] replyRefused(ReplyAddress to, String jobId, String message) {
        return finalReply(
                to, NullNode.getInstance(), Optional.of(OsloFailure.of(ErrorCode.REPLY_REFUSED, message, List.of())));
    }

    /** A call-monitor heartbeat: no result, no failure, {@code ending: false}. */
    void heartbeat(ReplyAddress to) throws IOException {
        send(to, to.msgId(), OsloEnvelope.reply(to.msgId(), NullNode.getInstance(), Optional.empty(), false));
    }
}
