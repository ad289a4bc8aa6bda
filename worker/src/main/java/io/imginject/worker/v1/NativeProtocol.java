package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestDecoder;
import io.imginject.protocol.RequestLimits;
import io.imginject.protocol.RequestRejectedException;
import io.imginject.protocol.Wire;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.job.Job;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.pipeline.Ending;
import io.imginject.worker.pipeline.Failure;
import io.imginject.worker.pipeline.Protocol;
import io.imginject.worker.pipeline.Replies;
import io.imginject.worker.pipeline.Request;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native v1 protocol: a request's job id is its message id, else its correlation id, else a new one, and its
 * reply is kept under that id. A message that is not a valid request, is over the worker's {@link RequestLimits} or
 * has headers over {@value HeaderSize#MAX_REQUEST_HEADER_BYTES} bytes, or whose deadline has passed, is refused
 * without running; every failure, refusals included, is dead-lettered.
 */
final class NativeProtocol implements Protocol<ReplyTo> {
    private static final Logger log = LoggerFactory.getLogger(NativeProtocol.class);

    private final String host;
    private final JobRunner runner;
    private final NativeReplies replies;
    private final RequestLimits limits;
    private final Clock clock;

    NativeProtocol(String host, JobRunner runner, NativeReplies replies, RequestLimits limits, Clock clock) {
        this.host = host;
        this.runner = runner;
        this.replies = replies;
        this.limits = limits;
        this.clock = clock;
    }

    @Override
    public Request<ReplyTo> read(Delivery delivery) {
        String jobId = jobId(delivery.getProperties());
        return new Request<>(
                jobId,
                Map.of(),
                ReplyTo.of(delivery.getProperties()),
                Optional.of(jobId),
                Origin.of(delivery),
                () -> run(delivery, jobId));
    }

    @Override
    public Replies<ReplyTo> replies() {
        return replies;
    }

    /** What became of the request: refused, too late, or run. */
    private Ending run(Delivery delivery, String jobId) {
        InjectionRequest request;
        Optional<Instant> deadline;
        try {
            request = decode(delivery);
            deadline = Deadline.of(delivery.getProperties());
        } catch (RequestRejectedException e) {
            log.warn("request refused: {} {}", e.code(), e.getMessage());
            return ending(InjectionReply.failure(
                    jobId, host, new ErrorInfo(e.code(), e.getMessage(), false, e.problems()), 0));
        }
        if (deadline.isPresent() && Instant.now(clock).isAfter(deadline.get())) {
            String message = "the deadline " + deadline.get() + " passed before the job could start; it was not run";
            log.info("job refused: {}", message);
            return ending(InjectionReply.failure(jobId, host, ErrorInfo.of(ErrorCode.DEADLINE_EXPIRED, message), 0));
        }
        log.info("job started: image {}", request.image().path());
        InjectionReply reply = runner.run(new Job(jobId, request));
        if (reply.isOk()) {
            log.info("job finished: ok via {} in {} ms", reply.handler(), reply.durationMs());
        } else {
            log.info("job finished: {} in {} ms", reply.error().code().wireName(), reply.durationMs());
        }
        return ending(reply);
    }

    /** A job's reply, encoded; a failure is dead-lettered with its message, problems and the handlers that tried (not those skipped). */
    private static Ending ending(InjectionReply reply) {
        byte[] body = ReplyCodec.encode(reply);
        if (reply.isOk()) {
            return Ending.ok(body);
        }
        ErrorInfo error = reply.error();
        String message = error.message() + (error.problems().isEmpty() ? "" : " " + error.problems());
        DeadLetterReason reason = new DeadLetterReason(
                error.code(),
                message,
                reply.attempts().stream()
                        .filter(attempt -> attempt.outcome() != Outcome.SKIPPED)
                        .map(Attempt::handler)
                        .distinct()
                        .toList());
        return Ending.failed(body, new Failure(error.code().wireName(), error.retryable(), Optional.of(reason)));
    }

    private InjectionRequest decode(Delivery delivery) throws RequestRejectedException {
        AMQP.BasicProperties properties = delivery.getProperties();
        long headerBytes = HeaderSize.of(properties.getHeaders());
        if (headerBytes > HeaderSize.MAX_REQUEST_HEADER_BYTES) {
            throw new RequestRejectedException(
                    ErrorCode.REQUEST_TOO_LARGE,
                    "the request's headers take " + headerBytes
                            + " bytes; this worker takes at most " + HeaderSize.MAX_REQUEST_HEADER_BYTES
                            + ", to leave room in the broker's frame"
                            + " for the headers the broker and the worker add");
        }
        if (properties.getReplyTo() != null && properties.getCorrelationId() == null) {
            throw new RequestRejectedException(
                    ErrorCode.MISSING_CORRELATION_ID,
                    "the request names reply_to " + properties.getReplyTo()
                            + " but has no correlation_id, so its caller could not match the reply");
        }
        String contentType = properties.getContentType();
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith(Wire.CONTENT_TYPE)) {
            throw new RequestRejectedException(
                    ErrorCode.MALFORMED_MESSAGE,
                    "content_type is " + contentType + "; requests are " + Wire.CONTENT_TYPE);
        }
        if (properties.getContentEncoding() != null
                && !properties.getContentEncoding().equalsIgnoreCase("utf-8")) {
            throw new RequestRejectedException(
                    ErrorCode.MALFORMED_MESSAGE,
                    "content_encoding is " + properties.getContentEncoding() + "; requests are plain UTF-8 JSON");
        }
        return RequestDecoder.decode(delivery.getBody(), limits);
    }

    /** A request's job id: its message id, else its correlation id, else a new one. */
    static String jobId(AMQP.BasicProperties properties) {
        for (String candidate : new String[] {properties.getMessageId(), properties.getCorrelationId()}) {
            if (candidate != null && !candidate.isBlank()) {
                return candidate;
            }
        }
        return UUID.randomUUID().toString();
    }
}
