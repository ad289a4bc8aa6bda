package io.imginject.worker.pipeline;

import com.rabbitmq.client.Delivery;
import io.imginject.worker.broker.Acks;
import io.imginject.worker.broker.PublishRetry;
import io.imginject.worker.deadletter.DeadLetterReason;
import io.imginject.worker.deadletter.ReplayCount;
import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.job.JobInterruptedException;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every delivery goes through, whatever its protocol, at least once: the request is acked only once its
 * outcome is safe with the broker. In this order:
 * <ol>
 *   <li>read: the protocol makes a {@link Request} of it; its job id goes into the log context;</li>
 *   <li>where the protocol drops duplicates in flight, a twin of a request running now is acked and dropped;</li>
 *   <li>claim the request across the host's workers ({@link RequestClaims}), waiting while a twin delivery runs it;</li>
 *   <li>answer from the kept reply, where one answers this delivery (see {@link KeptReplies}): sent again, acked, not run;</li>
 *   <li>run;</li>
 *   <li>dead-letter a failure its protocol dead-letters, confirmed;</li>
 *   <li>keep the reply under the request's dedup id, its trusted replay count and its body, and give up the claim;</li>
 *   <li>reply, confirmed (see {@link Replying});</li>
 *   <li>ack.</li>
 * </ol>
 * A request interrupted by the worker's shutdown, or whose outcome the broker could not take (it stayed away),
 * goes back to its queue unanswered, to run again; so does one that failed in a way no step expected.
 */
final class DeliveryPipeline<A extends ReplyQueue> {
    private static final Logger log = LoggerFactory.getLogger(DeliveryPipeline.class);

    private final Protocol<A> protocol;
    private final Acks acks;
    private final KeptReplies kept;
    private final RequestClaims claims;
    private final ReplayCount replays;
    private final DeadLettering deadLetters;
    private final Replying<A> replies;
    private final InFlight inFlight = new InFlight();

    /** @param retry how a reply's publishing is retried while the broker is away */
    DeliveryPipeline(
            Protocol<A> protocol,
            Acks acks,
            KeptReplies kept,
            RequestClaims claims,
            ReplayCount replays,
            DeadLettering deadLetters,
            PublishRetry retry) {
        this.protocol = protocol;
        this.acks = acks;
        this.kept = kept;
        this.claims = claims;
        this.replays = replays;
        this.deadLetters = deadLetters;
        this.replies = new Replying<>(protocol.replies(), deadLetters, retry);
    }

    /** A delivery taken while its door stops: back to its queue, unread. */
    void giveBack(Delivery delivery) {
        acks.requeue(delivery);
    }

    @SuppressWarnings("try") // the log context is set for the block, not used in it
    void handle(Delivery delivery) {
        Request<A> request;
        try {
            request = protocol.read(delivery);
        } catch (RuntimeException e) {
            log.error("unexpected failure reading a delivery; it goes back to its queue", e);
            acks.requeue(delivery);
            return;
        }
        try (LogContext context = LogContext.of(request)) {
            Optional<String> claimed = request.dedupId().filter(id -> protocol.dropsDuplicatesInFlight());
            if (claimed.isPresent() && !inFlight.start(claimed.get())) {
                log.info("a duplicate of a request running now; dropping it");
                acks.ack(delivery);
                return;
            }
            try {
                settle(delivery, request);
                acks.ack(delivery);
            } catch (JobInterruptedException e) {
                log.warn("interrupted by the shutdown; the request goes back to its queue");
                acks.requeue(delivery);
            } catch (IOException e) {
                log.error("could not publish the outcome; the request goes back to its queue to run again", e);
                acks.requeue(delivery);
            } catch (RuntimeException e) {
                log.error("unexpected failure handling a request; it goes back to its queue", e);
                acks.requeue(delivery);
            } finally {
                claimed.ifPresent(inFlight::finish);
            }
        }
    }

    @SuppressWarnings("try") // the claim is held for the block, not used in it
    private void settle(Delivery delivery, Request<A> request) throws IOException {
        Optional<String> key = request.dedupId()
                .map(id -> KeptReplies.key(
                        id, replays.trusted(delivery.getProperties(), delivery.getBody()), delivery.getBody()));
        Settled settled;
        try (SharedLocks.Held claim = key.flatMap(claims::claim).orElse(null)) {
            settled = runOrRecall(delivery, request, key);
        }
        if (settled.recalled()) {
            log.info(
                    "delivered again after it finished; {}",
                    request.replyTo().isPresent() ? "sending its reply again" : "not running it again");
            replies.send(delivery, request, settled.ending().reply(), "earlier (its reply was kept)", true);
            return;
        }
        Ending ending = settled.ending();
        replies.send(delivery, request, ending.reply(), ending.inWords(), settled.deadLettered());
    }

    /**
     * Under the request's claim: its kept reply where one answers this delivery, else its run, dead-lettered where
     * its protocol says so and kept, so that a twin delivery waiting for the claim finds it.
     */
    private Settled runOrRecall(Delivery delivery, Request<A> request, Optional<String> key) throws IOException {
        Optional<byte[]> answer =
                key.flatMap(k -> kept.answerFor(k, delivery.getEnvelope().isRedeliver()));
        if (answer.isPresent()) {
            return new Settled(Ending.ok(answer.get()), true, false);
        }
        Ending ending = request.work().run();
        Optional<DeadLetterReason> deadLetter = ending.failure().flatMap(Failure::deadLetter);
        if (deadLetter.isPresent()) {
            deadLetters.publish(delivery, request.origin(), deadLetter.get());
        }
        key.ifPresent(k -> keep(k, ending));
        return new Settled(ending, false, deadLetter.isPresent());
    }

    /** What became of a delivery under its claim: run (and maybe dead-lettered), or answered from its kept reply. */
    private record Settled(Ending ending, boolean recalled, boolean deadLettered) {}

    private void keep(String key, Ending ending) {
        ending.failure()
                .ifPresentOrElse(
                        failure -> kept.keepFailure(key, ending.reply(), failure.mayPass()),
                        () -> kept.keepSuccess(key, ending.reply()));
    }
}
