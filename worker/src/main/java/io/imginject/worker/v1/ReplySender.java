package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.broker.PublishRetry;
import java.io.IOException;

/**
 * Sends a native reply to the queue a request names in {@code reply_to}, with the request's correlation id and the
 * job id as message id, persistent and confirmed, retrying while the broker is away. A request without
 * {@code reply_to} is fire and forget: nothing is sent.
 */
public final class ReplySender {
    private final ConfirmedPublisher publisher;
    private final PublishRetry retry = new PublishRetry();

    public ReplySender(ConfirmedPublisher publisher) {
        this.publisher = publisher;
    }

    public void send(AMQP.BasicProperties request, String jobId, byte[] body) throws IOException {
        if (request.getReplyTo() == null) {
            return;
        }
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE)
                .correlationId(request.getCorrelationId())
                .messageId(jobId)
                .deliveryMode(2)
                .build();
        retry.run(() -> publisher.publish("", request.getReplyTo(), properties, body));
    }
}
