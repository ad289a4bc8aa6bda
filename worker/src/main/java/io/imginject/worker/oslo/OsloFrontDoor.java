package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.broker.DeliveryAcks;
import io.imginject.worker.broker.PublishNackedException;
import io.imginject.worker.broker.PublishRefusedException;
import io.imginject.worker.broker.PublishRetry;
import io.imginject.worker.broker.Resubscriber;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.Origin;
import io.imginject.worker.job.JobInterruptedException;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.pipeline.DeadLettering;
import io.imginject.worker.pipeline.FrontDoor;
import io.imginject.worker.pipeline.JobResults;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The oslo.messaging front door: an RPC server for {@code Target(topic, server)} that an unmodified
 * {@code RPCClient} calls as it calls nova-compute. It serves {@code inject_data} (the endpoint version is
 * configurable) and {@code baseapi}'s {@code ping}.
 *
 * <p>Unlike oslo, which acks a request before running it (at most once), this door acks only after the final reply
 * is confirmed by the broker (at least once): a worker that dies mid-job leaves the request to be delivered again,
 * and the job, being idempotent, runs again to the same result. A message whose {@code _unique_id} this host has
 * finished (its final reply is kept for a day, as for native jobs: a success for any later delivery, a failure only
 * for a redelivery) is not run again: a call gets that very reply again; one still running in this process is
 * dropped, as oslo drops duplicates. A message that is not an oslo request, or is over the worker's
 * {@link RequestLimits}, is answered when its reply address can be read, and copied to the dead-letter exchange; a
 * cast that fails is copied there too, since it has no caller to tell. No message is requeued for a reply or copy
 * that the broker or the client refuses as it is.
 */
public final class OsloFrontDoor implements FrontDoor {
    private static final Logger log = LoggerFactory.getLogger(OsloFrontDoor.class);

    private final Channel channel;
    private final OsloSettings settings;
    private final int concurrency;
    private final ExecutorService jobs;
    private final RpcDispatcher dispatcher;
    private final OsloReplier replier;
    private final DeadLettering deadLetters;
    private final RequestLimits limits;
    private final ScheduledExecutorService heartbeats;
    private final PublishRetry publishRetry = new PublishRetry();
    private final DeliveryAcks acks;
    private final RunningMessages running = new RunningMessages();
    private final JobResults results;
    private final List<String> consumerTags = new ArrayList<>();
    private final Resubscriber resubscriber;
    private volatile boolean stopping;
    private OsloTopology.Queues queues;

    public OsloFrontDoor(Channel channel, OsloSettings settings, int concurrency, ExecutorService jobs, JobRunner runner, JobResults results,
            ConfirmedPublisher publisher, DeadLetterPublisher deadLetters, RequestLimits limits, ScheduledExecutorService scheduler) {
        this.channel = channel;
        this.settings = settings;
        this.concurrency = concurrency;
        this.jobs = jobs;
        this.dispatcher = new RpcDispatcher(List.of(new InjectDataEndpoint(runner, settings.endpointVersion(), limits),
                new BaseApiEndpoint(settings.topic())));
        this.replier = new OsloReplier(publisher);
        this.deadLetters = new DeadLettering(deadLetters);
        this.limits = limits;
        this.heartbeats = scheduler;
        this.results = results;
        this.acks = new DeliveryAcks(channel);
        this.resubscriber = new Resubscriber(scheduler, "the oslo queues of " + settings.topic() + "." + settings.server(),
                this::subscribe, () -> stopping);
    }

    /** Declares the RPC server's exchanges and queues and starts consuming them. */
    @Override
    public synchronized void start() throws IOException {
        channel.basicQos(concurrency);
        subscribe();
    }

    /** Declares the topology and consumes its three queues, first cancelling consumers left from before. */
    private synchronized void subscribe() throws IOException {
        cancelConsumers();
        queues = OsloTopology.declare(channel, settings);
        for (String queue : List.of(queues.topic(), queues.server(), queues.fanout())) {
            consumerTags.add(channel.basicConsume(queue, false, "imginject-oslo-" + UUID.randomUUID(),
                    (tag, delivery) -> jobs.execute(() -> handle(delivery)), resubscriber::cancelled));
        }
        log.info("serving oslo.messaging RPC on exchange {} as {} (queues {}, {}, {})", settings.exchange(), queues.server(),
                queues.topic(), queues.server(), queues.fanout());
    }

    /** Stops taking calls and removes this process's fanout queue, as oslo does on a clean stop. */
    @Override
    public synchronized void stop() {
        stopping = true;
        cancelConsumers();
        try {
            if (queues != null) {
                channel.queueDelete(queues.fanout());
            }
        } catch (IOException | AlreadyClosedException e) {
            log.warn("could not delete the fanout queue {}: {}", queues.fanout(), e.toString());
        }
    }

    private void cancelConsumers() {
        for (String tag : consumerTags) {
            try {
                channel.basicCancel(tag);
            } catch (IOException | AlreadyClosedException e) {
                log.debug("consumer {} was already gone: {}", tag, e.toString());
            }
        }
        consumerTags.clear();
    }

    private void handle(Delivery delivery) {
        if (stopping) {
            acks.requeue(delivery);
            return;
        }
        OsloRequest request;
        try {
            request = OsloEnvelope.unpack(delivery.getBody());
        } catch (OsloEnvelope.MalformedOsloMessage e) {
            refuse(delivery, e.replyTo(), OsloFailure.of(ErrorCode.MALFORMED_MESSAGE, e.getMessage(), List.of()),
                    "not an oslo request: " + e.getMessage());
            return;
        }
        String uniqueId = request.uniqueId().orElseGet(() -> UUID.randomUUID().toString().replace("-", ""));
        MDC.put("job", request.replyTo().map(ReplyAddress::msgId).orElse(uniqueId));
        request.contextId("request_id").ifPresent(id -> MDC.put("request", id));
        try {
            if (delivery.getBody().length > limits.maxRequestBytes()) {
                String message = "the message is " + delivery.getBody().length + " bytes; this worker takes at most "
                        + limits.maxRequestBytes() + " (setting max-request-bytes)";
                refuse(delivery, request.replyTo(), OsloFailure.of(ErrorCode.REQUEST_TOO_LARGE, message, List.of()), message);
            } else if (!running.start(uniqueId)) {
                log.info("oslo {} is a duplicate of a message running now; dropping it, as oslo does", request);
                acks.ack(delivery);
            } else {
                try {
                    serve(delivery, request, JobResults.key(uniqueId, 0, delivery.getBody()));
                } finally {
                    running.finish(uniqueId);
                }
            }
        } finally {
            MDC.remove("job");
            MDC.remove("request");
        }
    }

    /** Answers a request from its kept reply where one answers this delivery, else runs it; then acks it. */
    private void serve(Delivery delivery, OsloRequest request, String key) {
        try {
            Optional<byte[]> kept = results.answerFor(key, delivery.getEnvelope().isRedeliver());
            if (kept.isPresent()) {
                log.info("oslo {} was finished before; {}", request, request.isCall() ? "sending its reply again" : "not running it again");
                if (request.isCall()) {
                    send(delivery, request.replyTo().get(), kept.get(), "earlier (its reply was kept)", true);
                }
                acks.ack(delivery);
                return;
            }
            log.info("oslo {} received", request);
            run(delivery, request, key);
            acks.ack(delivery);
        } catch (JobInterruptedException e) {
            log.warn("oslo {} interrupted by the shutdown; it goes back to the queue", request);
            acks.requeue(delivery);
        } catch (IOException | RuntimeException e) {
            log.error("could not finish oslo {}; it goes back to the queue", request, e);
            acks.requeue(delivery);
        }
    }

    /**
     * Runs the request and keeps its final reply (empty for a cast): a success for any later delivery, a failure only
     * for a redelivery, one that may pass not at all. Publishes the reply of a call; dead-letters a failed cast.
     */
    private void run(Delivery delivery, OsloRequest request, String key) throws IOException {
        JsonNode result = NullNode.getInstance();
        Optional<OsloFailure> failure = Optional.empty();
        try (CallHeartbeat heartbeat = request.replyTo()
                .map(to -> CallHeartbeat.start(heartbeats, replier, to, request.callMonitorTimeout())).orElse(null)) {
            result = dispatcher.dispatch(request);
        } catch (OsloFailure e) {
            failure = Optional.of(e);
        }
        failure.ifPresentOrElse(f -> log.info("oslo {} failed: {} {}", request, f.className(), f.getMessage()),
                () -> log.info("oslo {} done", request));
        byte[] body = request.isCall() ? OsloReplier.finalReply(request.replyTo().get(), result, failure) : new byte[0];
        if (failure.isEmpty()) {
            results.keepSuccess(key, body);
        } else {
            OsloFailure f = failure.get();
            if (request.replyTo().isEmpty()) {
                deadLetter(delivery, new DeadLetterReason(f.code(), "cast failed: " + f.className() + ": " + f.getMessage(),
                        Optional.of(f.className()), List.of()));
            }
            results.keepFailure(key, body, f.code().isTransient());
        }
        if (request.replyTo().isPresent()) {
            send(delivery, request.replyTo().get(), body, failure.map(f -> "with " + f.className()).orElse("ok"), false);
        }
    }

    /** Answers a message that is refused without running it, when it can be answered, and dead-letters it; then acks it. */
    private void refuse(Delivery delivery, Optional<ReplyAddress> replyTo, OsloFailure failure, String reason) {
        log.warn("oslo message refused: {}", reason);
        try {
            if (replyTo.isPresent()) {
                send(delivery, replyTo.get(), OsloReplier.finalReply(replyTo.get(), NullNode.getInstance(), Optional.of(failure)),
                        "with " + failure.className(), true);
            }
            deadLetter(delivery, DeadLetterReason.of(failure.code(), reason));
            acks.ack(delivery);
        } catch (IOException e) {
            log.error("could not answer or dead-letter a refused oslo message; it goes back to the queue", e);
            acks.requeue(delivery);
        }
    }

    /**
     * Publishes a final reply. One refused as it is becomes a small {@code ReplyRefused} failure that says how the call
     * ended; one the reply queue keeps nacking is given up. Either way the request is dead-lettered with that reason
     * unless {@code deadLetteredAnyway}, and is not requeued.
     */
    private void send(Delivery delivery, ReplyAddress to, byte[] body, String outcome, boolean deadLetteredAnyway) throws IOException {
        try {
            publishRetry.run(() -> replier.send(to, body));
        } catch (PublishRefusedException e) {
            String message = "the call ended " + outcome + ", but its reply (" + body.length + " bytes) could not be published: " + e.getMessage();
            log.error("{}; answering with a ReplyRefused failure instead", message);
            if (!deadLetteredAnyway) {
                deadLetter(delivery, DeadLetterReason.of(ErrorCode.REPLY_REFUSED, message));
            }
            byte[] refused = OsloReplier.finalReply(to, NullNode.getInstance(), Optional.of(OsloFailure.of(ErrorCode.REPLY_REFUSED, message, List.of())));
            try {
                publishRetry.run(() -> replier.send(to, refused));
            } catch (PublishRefusedException | PublishNackedException again) {
                log.error("the ReplyRefused failure was refused too ({}); the caller gets no reply", again.getMessage());
            }
        } catch (PublishNackedException e) {
            String message = "the call ended " + outcome + ", but its reply queue kept refusing the reply: " + e.getMessage();
            log.error("{}; the reply is given up", message);
            if (!deadLetteredAnyway) {
                deadLetter(delivery, DeadLetterReason.of(ErrorCode.REPLY_REFUSED, message));
            }
        }
    }

    /** Dead-letters the request; when even a copy without its headers is refused, it is logged and given up, not requeued. */
    private void deadLetter(Delivery delivery, DeadLetterReason reason) throws IOException {
        try {
            deadLetters.publish(delivery, Origin.of(delivery), reason);
        } catch (PublishRefusedException e) {
            log.error("the oslo message cannot be dead-lettered, even without its own headers ({}); it is dropped", e.getMessage());
        }
    }
}
