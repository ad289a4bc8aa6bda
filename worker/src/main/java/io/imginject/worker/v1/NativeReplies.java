package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.pipeline.Replies;
import java.io.IOException;

/**
 * Native replies: sent to the queue a request names in {@code reply_to}, with the request's correlation id and the
 * job id as message id, persistent and confirmed.
 */
final class NativeReplies implements Replies<ReplyTo> {
    private final ConfirmedPublisher publisher;
    private final String host;

    NativeReplies(ConfirmedPublisher publisher, String host) {
        this.publisher = publisher;
        this.host = host;
    }

    @Override
    public void send(ReplyTo to, String jobId, byte[] body) throws IOException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE)
                .correlationId(to.correlationId().orElse(null))
                .messageId(jobId)
                .deliveryMode(2)
                .build();
        publisher.publish("", to.queue(), properties, body);
    }

    @Override
    public byte[] replyRefused(ReplyTo to, String jobId, String message) {
        return ReplyCodec.encode(
                InjectionReply.failure(jobId, host, ErrorInfo.of(ErrorCode.REPLY_REFUSED, message), 0));
    }
}
