package io.imginject.worker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Problem;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestDecoder;
import io.imginject.protocol.RequestRejectedException;
import io.imginject.protocol.Wire;
import io.imginject.worker.job.Job;
import io.imginject.worker.job.JobRunner;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The native v1 front door: consumes the host's queue with manual acks and a prefetch equal to the worker's
 * concurrency, runs each request as a job, publishes the reply with a publisher confirm and only then acks.
 * A message that is not a valid request gets an error reply where one is possible, is copied to the
 * dead-letter exchange with the reason, and is acked: it is never requeued to fail again.
 */
public final class NativeFrontDoor implements FrontDoor {
    private static final Logger log = LoggerFactory.getLogger(NativeFrontDoor.class);

    private final Channel channel;
    private final String host;
    private final int concurrency;
    private final ExecutorService jobs;
    private final JobRunner runner;
    private final ConfirmedPublisher replies;
    private final DeadLetterPublisher deadLetters;
    private final PublishRetry publishRetry = new PublishRetry();
    private final DeliveryAcks acks;
    private volatile String consumerTag;

    public NativeFrontDoor(Channel channel, String host, int concurrency, ExecutorService jobs, JobRunner runner,
            ConfirmedPublisher replies, DeadLetterPublisher deadLetters) {
        this.channel = channel;
        this.host = host;
        this.concurrency = concurrency;
        this.jobs = jobs;
        this.runner = runner;
        this.replies = replies;
        this.deadLetters = deadLetters;
        this.acks = new DeliveryAcks(channel);
    }

    /** Declares the host's topology and starts consuming its queue. */
    @Override
    public void start() throws IOException {
        Topology.declare(channel, host);
        channel.basicQos(concurrency);
        consumerTag = channel.basicConsume(Wire.queue(host), false, "imginject-" + host + "-" + UUID.randomUUID(),
                (tag, delivery) -> jobs.execute(() -> handle(delivery)),
                tag -> log.warn("the broker cancelled the consumer of {} (queue deleted?); no more requests arrive", Wire.queue(host)));
        log.info("consuming {} with prefetch {}", Wire.queue(host), concurrency);
    }

    /** Stops taking new requests; jobs already running finish and are acked. */
    @Override
    public void stop() {
        String tag = consumerTag;
        if (tag != null && channel.isOpen()) {
            try {
                channel.basicCancel(tag);
            } catch (IOException | com.rabbitmq.client.AlreadyClosedException e) {
                log.warn("could not cancel the consumer: {}", e.toString());
            }
        }
    }

    private void handle(Delivery delivery) {
        AMQP.BasicProperties properties = delivery.getProperties();
        String jobId = firstPresent(properties.getMessageId(), properties.getCorrelationId(), UUID.randomUUID().toString());
        MDC.put("job", jobId);
        try {
            InjectionRequest request;
            try {
                request = decode(delivery);
            } catch (RequestRejectedException e) {
                reject(delivery, jobId, e);
                return;
            }
            log.info("job started: image {}", request.image().path());
            InjectionReply reply = runner.run(new Job(jobId, request));
            if (reply.isOk()) {
                log.info("job finished: ok via {} in {} ms", reply.handler(), reply.durationMs());
            } else {
                log.info("job finished: {} in {} ms", reply.error().code().wireName(), reply.durationMs());
            }
            if (properties.getReplyTo() != null) {
                publishReply(properties, reply);
            }
            acks.ack(delivery);
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

    private static InjectionRequest decode(Delivery delivery) throws RequestRejectedException {
        AMQP.BasicProperties properties = delivery.getProperties();
        if (properties.getReplyTo() != null && properties.getCorrelationId() == null) {
            throw new RequestRejectedException(ErrorCode.MISSING_CORRELATION_ID, "the request names reply_to "
                    + properties.getReplyTo() + " but has no correlation_id, so its caller could not match the reply");
        }
        String contentType = properties.getContentType();
        if (contentType != null && !contentType.toLowerCase(java.util.Locale.ROOT).startsWith(Wire.CONTENT_TYPE)) {
            throw new RequestRejectedException(ErrorCode.MALFORMED_MESSAGE, "content_type is " + contentType + "; requests are "
                    + Wire.CONTENT_TYPE);
        }
        if (properties.getContentEncoding() != null && !properties.getContentEncoding().equalsIgnoreCase("utf-8")) {
            throw new RequestRejectedException(ErrorCode.MALFORMED_MESSAGE, "content_encoding is " + properties.getContentEncoding()
                    + "; requests are plain UTF-8 JSON");
        }
        return RequestDecoder.decode(delivery.getBody());
    }

    private void reject(Delivery delivery, String jobId, RequestRejectedException e) throws IOException {
        log.warn("request rejected: {} {}", e.code(), e.getMessage());
        if (delivery.getProperties().getReplyTo() != null) {
            publishReply(delivery.getProperties(), new InjectionReply(1, InjectionReply.Status.ERROR, jobId, host, null, Map.of(),
                    List.of(), new ErrorInfo(e.code(), e.getMessage(), false, e.problems()), 0));
        }
        publishRetry.run(() -> deadLetters.publish(delivery, e.code(), e.getMessage() + problemList(e.problems())));
        acks.ack(delivery);
    }

    private void publishReply(AMQP.BasicProperties request, InjectionReply reply) throws IOException {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE)
                .correlationId(request.getCorrelationId())
                .messageId(reply.jobId())
                .deliveryMode(2)
                .build();
        byte[] body = ReplyCodec.encode(reply);
        publishRetry.run(() -> replies.publish("", request.getReplyTo(), properties, body));
    }

    private static String problemList(List<Problem> problems) {
        return problems.isEmpty() ? "" : " " + problems;
    }

    private static String firstPresent(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        throw new IllegalArgumentException("no value");
    }
}
