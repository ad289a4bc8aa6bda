package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.pipeline.Ending;
import io.imginject.worker.pipeline.Failure;
import io.imginject.worker.pipeline.Protocol;
import io.imginject.worker.pipeline.Replies;
import io.imginject.worker.pipeline.Request;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * oslo.messaging RPC as an RPC server for {@code Target(topic, server)} serves it, but at least once: a request is
 * acked only after its final reply is confirmed, where oslo acks before running. Its job id is the call's
 * {@code _msg_id}, else its {@code _unique_id}; its reply is kept under the {@code _unique_id}, and a duplicate of
 * one running now is dropped, as oslo drops duplicates. A call gets heartbeats while it runs when its caller set a
 * call-monitor timeout. A message that is not an oslo request, or is over the worker's {@link RequestLimits}, is
 * answered when its reply address can be read, and dead-lettered; a cast that fails is dead-lettered too, since it
 * has no caller to tell.
 */
final class OsloProtocol implements Protocol<ReplyAddress> {
    private static final Logger log = LoggerFactory.getLogger(OsloProtocol.class);

    private final RpcDispatcher dispatcher;
    private final OsloReplier replier;
    private final RequestLimits limits;
    private final ScheduledExecutorService heartbeats;

    OsloProtocol(
            RpcDispatcher dispatcher, OsloReplier replier, RequestLimits limits, ScheduledExecutorService heartbeats) {
        this.dispatcher = dispatcher;
        this.replier = replier;
        this.limits = limits;
        this.heartbeats = heartbeats;
    }

    @Override
    public Request<ReplyAddress> read(Delivery delivery) {
        OsloRequest request;
        try {
            request = OsloEnvelope.unpack(delivery.getBody());
        } catch (OsloEnvelope.MalformedOsloMessage e) {
            String jobId = e.replyTo()
                    .map(ReplyAddress::msgId)
                    .orElseGet(() -> UUID.randomUUID().toString().replace("-", ""));
            return refused(
                    delivery,
                    jobId,
                    Map.of(),
                    e.replyTo(),
                    OsloFailure.of(ErrorCode.MALFORMED_MESSAGE, e.getMessage(), List.of()),
                    "not an oslo request: " + e.getMessage());
        }
        Map<String, String> context =
                request.contextId("request_id").map(id -> Map.of("request", id)).orElse(Map.of());
        if (delivery.getBody().length > limits.maxRequestBytes()) {
            String message = "the message is " + delivery.getBody().length + " bytes; this worker takes at most "
                    + limits.maxRequestBytes() + " (setting max-request-bytes)";
            return refused(
                    delivery,
                    request.jobId(),
                    context,
                    request.replyTo(),
                    OsloFailure.of(ErrorCode.REQUEST_TOO_LARGE, message, List.of()),
                    message);
        }
        return new Request<>(
                request.jobId(),
                context,
                request.replyTo(),
                Optional.of(request.uniqueId()),
                Origin.of(delivery),
                () -> run(request));
    }

    @Override
    public Replies<ReplyAddress> replies() {
        return replier;
    }

    @Override
    public boolean dropsDuplicatesInFlight() {
        return true;
    }

    /** A message refused without running: answered with {@code failure} where it can be, and dead-lettered. */
    private static Request<ReplyAddress> refused(
            Delivery delivery,
            String jobId,
            Map<String, String> context,
            Optional<ReplyAddress> replyTo,
            OsloFailure failure,
            String reason) {
        return new Request<>(jobId, context, replyTo, Optional.empty(), Origin.of(delivery), () -> {
            log.warn("oslo message refused: {}", reason);
            return Ending.failed(
                    finalReply(replyTo, NullNode.getInstance(), Optional.of(failure)),
                    new Failure(
                            failure.className(),
                            failure.code().isTransient(),
                            Optional.of(DeadLetterReason.of(failure.code(), reason))));
        });
    }

    /** Dispatches the request, with heartbeats for a call whose caller asked for them. */
    @SuppressWarnings("try") // the heartbeat runs for the block, not used in it
    private Ending run(OsloRequest request) {
        log.info("oslo {} received", request);
        JsonNode result = NullNode.getInstance();
        Optional<OsloFailure> failure = Optional.empty();
        try (CallHeartbeat heartbeat = request.replyTo()
                .map(to -> CallHeartbeat.start(heartbeats, replier, to, request.callMonitorTimeout()))
                .orElse(null)) {
            result = dispatcher.dispatch(request);
        } catch (OsloFailure e) {
            failure = Optional.of(e);
        }
        byte[] reply = finalReply(request.replyTo(), result, failure);
        if (failure.isEmpty()) {
            log.info("oslo {} done", request);
            return Ending.ok(reply);
        }
        OsloFailure f = failure.get();
        log.info("oslo {} failed: {} {}", request, f.className(), f.getMessage());
        Optional<DeadLetterReason> deadLetter = request.isCall()
                ? Optional.empty()
                : Optional.of(new DeadLetterReason(
                        f.code(), "cast failed: " + f.className() + ": " + f.getMessage(), List.of()));
        return Ending.failed(reply, new Failure(f.className(), f.code().isTransient(), deadLetter));
    }

    /** A call's final reply; nothing for a cast. */
    private static byte[] finalReply(Optional<ReplyAddress> to, JsonNode result, Optional<OsloFailure> failure) {
        return to.map(address -> OsloReplier.finalReply(address, result, failure))
                .orElse(new byte[0]);
    }
}
