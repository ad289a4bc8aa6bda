package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestDecoder;
import io.imginject.protocol.RequestLimits;
import io.imginject.protocol.RequestRejectedException;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.broker.DeliveryAcks;
import io.imginject.worker.broker.PublishNackedException;
import io.imginject.worker.broker.PublishRefusedException;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.deadletter.ReplayCount;
import io.imginject.worker.job.Job;
import io.imginject.worker.job.JobInterruptedException;
import io.imginject.worker.job.JobResult;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.pipeline.DeadLettering;
import io.imginject.worker.pipeline.FrontDoor;
import io.imginject.worker.pipeline.JobResults;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The native v1 front door: consumes the host's queue with manual acks and a prefetch equal to the worker's
 * concurrency, runs each request as a job, and only then acks, in this order: a failed job's copy goes to the
 * dead-letter exchange with the reason, the reply is kept (so a redelivery gets it again without a rerun), the
 * reply is published with a confirm, the request is acked. A message that is not a valid request, is over the
 * worker's {@link RequestLimits} or has headers over {@value HeaderSize#MAX_REQUEST_HEADER_BYTES} bytes, or whose deadline
 * has passed, is answered and dead-lettered the same way and
 * never requeued. Nor is a request whose reply or dead-letter copy the broker or the client refuses as it is: the
 * copy goes without the request's own headers, the reply becomes a small {@code reply_refused} failure.
 */
public final class NativeFrontDoor implements FrontDoor {
    private static final Logger log = LoggerFactory.getLogger(NativeFrontDoor.class);

    private final String host;
    private final JobRunner runner;
    private final JobResults results;
    private final ReplySender replies;
    private final DeadLettering deadLetters;
    private final ReplayCount replays;
    private final RequestLimits limits;
    private final Clock clock;
    private final DeliveryAcks acks;
    private final HostQueueConsumer consumer;

    public NativeFrontDoor(Channel channel, String host, int concurrency, ExecutorService jobs, JobRunner runner, JobResults results,
            ConfirmedPublisher replies, DeadLetterPublisher deadLetters, ReplayCount replays, RequestLimits limits,
            ScheduledExecutorService scheduler, Clock clock) {
        this.host = host;
        this.runner = runner;
        this.results = results;
        this.replies = new ReplySender(replies);
        this.deadLetters = new DeadLettering(deadLetters);
        this.replays = replays;
        this.limits = limits;
        this.clock = clock;
        this.acks = new DeliveryAcks(channel);
        this.consumer = new HostQueueConsumer(channel, host, Wire.queue(host), concurrency,
                delivery -> jobs.execute(() -> handle(delivery)), scheduler);
    }

    /** Declares the host's topology and starts consuming its queue. */
    @Override
    public void start() throws IOException {
        consumer.start();
    }

    /** Stops taking new requests; running jobs finish and are acked, taken ones not yet started go back to the queue. */
    @Override
    public void stop() {
        consumer.stop();
    }

    private void handle(Delivery delivery) {
        if (consumer.isStopping()) {
            acks.requeue(delivery);
            return;
        }
        AMQP.BasicProperties properties = delivery.getProperties();
        String jobId = jobId(properties);
        String key = JobResults.key(jobId, replays.trusted(properties, delivery.getBody()), delivery.getBody());
        MDC.put("job", jobId);
        try {
            Optional<byte[]> kept = results.answerFor(key, delivery.getEnvelope().isRedeliver());
            if (kept.isPresent()) {
                log.info("job delivered again after it finished; sending its reply again");
                send(delivery, jobId, kept.get(), "earlier (its reply was kept)", true);
                acks.ack(delivery);
                return;
            }
            finish(delivery, key, outcome(delivery, jobId));
        } catch (JobInterruptedException e) {
            log.warn("job interrupted by the shutdown; it goes back to the queue");
            acks.requeue(delivery);
        } catch (IOException e) {
            log.error("could not publish the outcome; the request goes back to the queue to run again", e);
            acks.requeue(delivery);
        } catch (RuntimeException e) {
            log.error("unexpected failure handling a request; it goes back to the queue", e);
            acks.requeue(delivery);
        } finally {
            MDC.remove("job");
        }
    }

    /** What became of the request: refused, too late, or run. */
    private JobResult outcome(Delivery delivery, String jobId) {
        InjectionRequest request;
        Optional<Instant> deadline;
        try {
            request = decode(delivery);
            deadline = Deadline.of(delivery.getProperties());
        } catch (RequestRejectedException e) {
            log.warn("request refused: {} {}", e.code(), e.getMessage());
            return new JobResult(InjectionReply.failure(jobId, host, new ErrorInfo(e.code(), e.getMessage(), false, e.problems()), 0),
                    Optional.of(e.getClass().getName()));
        }
        if (deadline.isPresent() && Instant.now(clock).isAfter(deadline.get())) {
            String message = "the deadline " + deadline.get() + " passed before the job could start; it was not run";
            log.info("job refused: {}", message);
            return new JobResult(InjectionReply.failure(jobId, host, ErrorInfo.of(ErrorCode.DEADLINE_EXPIRED, message), 0), Optional.empty());
        }
        log.info("job started: image {}", request.image().path());
        JobResult result = runner.run(new Job(jobId, request));
        InjectionReply reply = result.reply();
        if (reply.isOk()) {
            log.info("job finished: ok via {} in {} ms", reply.handler(), reply.durationMs());
        } else {
            log.info("job finished: {} in {} ms", reply.error().code().wireName(), reply.durationMs());
        }
        return result;
    }

    private void finish(Delivery delivery, String key, JobResult result) throws IOException {
        InjectionReply reply = result.reply();
        byte[] body = ReplyCodec.encode(reply);
        if (reply.isOk()) {
            results.keepSuccess(key, body);
        } else {
            ErrorInfo error = reply.error();
            String message = error.message() + (error.problems().isEmpty() ? "" : " " + error.problems());
            deadLetter(delivery, new DeadLetterReason(error.code(), message, result.failureClass(),
                    reply.attempts().stream().map(Attempt::handler).distinct().toList()));
            results.keepFailure(key, body, error.retryable());
        }
        send(delivery, reply.jobId(), body, reply.isOk() ? "ok" : "with " + reply.error().code().wireName(), !reply.isOk());
        acks.ack(delivery);
    }

    /** Dead-letters the request; when even a copy without its headers is refused, it is logged and given up, not requeued. */
    private void deadLetter(Delivery delivery, DeadLetterReason reason) throws IOException {
        try {
            deadLetters.publish(delivery, Origin.of(delivery), reason);
        } catch (PublishRefusedException e) {
            log.error("the request cannot be dead-lettered, even without its own headers ({}); it is dropped", e.getMessage());
        }
    }

    /**
     * Publishes the reply. One refused as it is becomes a small {@code reply_refused} failure that says how the job
     * ended; one the reply queue keeps nacking is given up. Either way the request is dead-lettered with that reason
     * unless it was already, and is not requeued.
     */
    private void send(Delivery delivery, String jobId, byte[] body, String outcome, boolean deadLettered) throws IOException {
        try {
            replies.send(delivery.getProperties(), jobId, body);
        } catch (PublishRefusedException e) {
            String message = "the job ended " + outcome + ", but its reply (" + body.length + " bytes) could not be published: " + e.getMessage();
            log.error("{}; answering with a reply_refused failure instead", message);
            if (!deadLettered) {
                deadLetter(delivery, DeadLetterReason.of(ErrorCode.REPLY_REFUSED, message));
            }
            InjectionReply refused = InjectionReply.failure(jobId, host, ErrorInfo.of(ErrorCode.REPLY_REFUSED, message), 0);
            try {
                replies.send(delivery.getProperties(), jobId, ReplyCodec.encode(refused));
            } catch (PublishRefusedException | PublishNackedException again) {
                log.error("the reply_refused failure was refused too ({}); the caller gets no reply", again.getMessage());
            }
        } catch (PublishNackedException e) {
            String message = "the job ended " + outcome + ", but its reply queue " + delivery.getProperties().getReplyTo()
                    + " kept refusing the reply: " + e.getMessage();
            log.error("{}; the reply is given up", message);
            if (!deadLettered) {
                deadLetter(delivery, DeadLetterReason.of(ErrorCode.REPLY_REFUSED, message));
            }
        }
    }

    private InjectionRequest decode(Delivery delivery) throws RequestRejectedException {
        AMQP.BasicProperties properties = delivery.getProperties();
        long headerBytes = HeaderSize.of(properties.getHeaders());
        if (headerBytes > HeaderSize.MAX_REQUEST_HEADER_BYTES) {
            throw new RequestRejectedException(ErrorCode.REQUEST_TOO_LARGE, "the request's headers take " + headerBytes
                    + " bytes; this worker takes at most " + HeaderSize.MAX_REQUEST_HEADER_BYTES + ", to leave room in the broker's frame"
                    + " for the headers the broker and the worker add");
        }
        if (properties.getReplyTo() != null && properties.getCorrelationId() == null) {
            throw new RequestRejectedException(ErrorCode.MISSING_CORRELATION_ID, "the request names reply_to "
                    + properties.getReplyTo() + " but has no correlation_id, so its caller could not match the reply");
        }
        String contentType = properties.getContentType();
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith(Wire.CONTENT_TYPE)) {
            throw new RequestRejectedException(ErrorCode.MALFORMED_MESSAGE, "content_type is " + contentType + "; requests are "
                    + Wire.CONTENT_TYPE);
        }
        if (properties.getContentEncoding() != null && !properties.getContentEncoding().equalsIgnoreCase("utf-8")) {
            throw new RequestRejectedException(ErrorCode.MALFORMED_MESSAGE, "content_encoding is " + properties.getContentEncoding()
                    + "; requests are plain UTF-8 JSON");
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
