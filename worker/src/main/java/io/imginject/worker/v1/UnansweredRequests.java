package io.imginject.worker.v1;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.BrokerDeath;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.broker.DeliveryAcks;
import io.imginject.worker.broker.PublishRefusedException;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.pipeline.DeadLettering;
import io.imginject.worker.pipeline.FrontDoor;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Answers the requests the broker dead-lettered from the host's queue before a worker answered them: those whose
 * AMQP expiration passed while they waited ({@code deadline_expired}) and those delivered as often as the queue
 * allows without a worker finishing them ({@code delivery_limit_reached}). None of them is run. Each gets its error
 * reply and goes on to the dead-letter queue with the reason, like any failed request, then is acked, so no caller
 * waits for an answer that never comes and no request is lost.
 */
public final class UnansweredRequests implements FrontDoor {
    private static final Logger log = LoggerFactory.getLogger(UnansweredRequests.class);
    private static final int PREFETCH = 8;

    private final String host;
    private final ReplySender replies;
    private final DeadLettering deadLetters;
    private final DeliveryAcks acks;
    private final HostQueueConsumer consumer;

    public UnansweredRequests(Channel channel, String host, ConfirmedPublisher replies, DeadLetterPublisher deadLetters,
            ScheduledExecutorService scheduler) {
        this.host = host;
        this.replies = new ReplySender(replies);
        this.deadLetters = new DeadLettering(deadLetters);
        this.acks = new DeliveryAcks(channel);
        this.consumer = new HostQueueConsumer(channel, host, Wire.unansweredQueue(host), PREFETCH, this::answer, scheduler);
    }

    @Override
    public void start() throws IOException {
        consumer.start();
    }

    @Override
    public void stop() {
        consumer.stop();
    }

    private void answer(Delivery delivery) {
        String jobId = NativeFrontDoor.jobId(delivery.getProperties());
        MDC.put("job", jobId);
        try {
            ErrorInfo error = why(BrokerDeath.latest(delivery.getProperties().getHeaders()));
            log.info("request dead-lettered by the broker, not run: {}", error.code().wireName());
            try {
                deadLetters.publish(delivery, Origin.unanswered(host, delivery), DeadLetterReason.of(error.code(), error.message()));
            } catch (PublishRefusedException e) {
                log.error("the request cannot be dead-lettered, even without its own headers ({}); it is dropped", e.getMessage());
            }
            replies.send(delivery.getProperties(), jobId, ReplyCodec.encode(InjectionReply.failure(jobId, host, error, 0)));
            acks.ack(delivery);
        } catch (IOException | RuntimeException e) {
            log.error("could not answer a request the broker dead-lettered; it goes back to its queue", e);
            acks.requeue(delivery);
        } finally {
            MDC.remove("job");
        }
    }

    private ErrorInfo why(Optional<BrokerDeath> death) {
        String reason = death.map(BrokerDeath::reason).orElse("unknown");
        String queue = death.map(BrokerDeath::queue).orElse(Wire.queue(host));
        return switch (reason) {
            case "expired" -> ErrorInfo.of(ErrorCode.DEADLINE_EXPIRED, "the request's AMQP expiration ("
                    + death.flatMap(BrokerDeath::originalExpiration).map(ms -> ms + " ms").orElse("unknown") + ") passed while it waited in "
                    + queue + "; it was not run");
            case "delivery_limit" -> ErrorInfo.of(ErrorCode.DELIVERY_LIMIT_REACHED, "the request was redelivered " + Topology.DELIVERY_LIMIT
                    + " times from " + queue + " without a worker finishing it (workers died or were killed running it; see their logs);"
                    + " it was not run again");
            default -> ErrorInfo.of(ErrorCode.INTERNAL_ERROR, "the broker dead-lettered the request from " + queue + " (reason: " + reason
                    + ") before a worker answered it; it was not run");
        };
    }
}
