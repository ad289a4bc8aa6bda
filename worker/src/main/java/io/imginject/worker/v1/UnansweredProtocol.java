package io.imginject.worker.v1;

import com.rabbitmq.client.Delivery;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.BrokerDeath;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.pipeline.Ending;
import io.imginject.worker.pipeline.Failure;
import io.imginject.worker.pipeline.Protocol;
import io.imginject.worker.pipeline.Replies;
import io.imginject.worker.pipeline.Request;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests the broker dead-lettered from the host's queue before a worker answered them: those whose AMQP
 * expiration passed while they waited ({@code deadline_expired}) and those delivered as often as the queue allows
 * without a worker finishing them ({@code delivery_limit_reached}). None of them is run, nor is its reply kept:
 * each is answered with its error and dead-lettered with the reason, like any failed request, so no caller waits
 * for an answer that never comes and no request is lost.
 */
final class UnansweredProtocol implements Protocol<ReplyTo> {
    private static final Logger log = LoggerFactory.getLogger(UnansweredProtocol.class);

    private final String host;
    private final NativeReplies replies;

    UnansweredProtocol(String host, NativeReplies replies) {
        this.host = host;
        this.replies = replies;
    }

    @Override
    public Request<ReplyTo> read(Delivery delivery) {
        String jobId = NativeProtocol.jobId(delivery.getProperties());
        return new Request<>(
                jobId, Map.of(), ReplyTo.of(delivery.getProperties()), Optional.empty(), origin(delivery), () -> {
                    ErrorInfo error =
                            why(BrokerDeath.latest(delivery.getProperties().getHeaders()));
                    log.info(
                            "request dead-lettered by the broker, not run: {}",
                            error.code().wireName());
                    return Ending.failed(
                            ReplyCodec.encode(InjectionReply.failure(jobId, host, error, 0)),
                            new Failure(
                                    error.code().wireName(),
                                    error.retryable(),
                                    Optional.of(DeadLetterReason.of(error.code(), error.message()))));
                });
    }

    @Override
    public Replies<ReplyTo> replies() {
        return replies;
    }

    /**
     * Where a request taken from the host's queue of unanswered requests came from. The broker dead-letters there only
     * what waited in the host's queue, so its origin is pinned to the request exchange and {@code inject.<host>}, which
     * route to that queue. Its {@code x-death} record is not trusted for it: anyone may publish into the queue of
     * unanswered requests straight through the default exchange, with an {@code x-death} header of their own making.
     * The record gives only the expiration, which the broker removes from an expired message.
     */
    private Origin origin(Delivery delivery) {
        Optional<String> expiration = Optional.ofNullable(
                        delivery.getProperties().getExpiration())
                .or(() -> BrokerDeath.latest(delivery.getProperties().getHeaders())
                        .flatMap(BrokerDeath::originalExpiration));
        return new Origin(Wire.EXCHANGE, Wire.routingKey(host), expiration);
    }

    private ErrorInfo why(Optional<BrokerDeath> death) {
        String reason = death.map(BrokerDeath::reason).orElse("unknown");
        String queue = death.map(BrokerDeath::queue).orElse(Wire.queue(host));
        return switch (reason) {
            case "expired" ->
                ErrorInfo.of(
                        ErrorCode.DEADLINE_EXPIRED,
                        "the request's AMQP expiration ("
                                + death.flatMap(BrokerDeath::originalExpiration)
                                        .map(ms -> ms + " ms")
                                        .orElse("unknown") + ") passed while it waited in "
                                + queue + "; it was not run");
            case "delivery_limit" ->
                ErrorInfo.of(
                        ErrorCode.DELIVERY_LIMIT_REACHED,
                        "the request reached the delivery limit of " + queue
                                + " (redelivered as often as its policy allows) without a worker finishing it"
                                + " (workers died or were killed running it; see their logs); it was not run again");
            default ->
                ErrorInfo.of(
                        ErrorCode.INTERNAL_ERROR,
                        "the broker dead-lettered the request from " + queue + " (reason: " + reason
                                + ") before a worker answered it; it was not run");
        };
    }
}
