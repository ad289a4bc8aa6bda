package io.imginject.worker.metrics;

import com.rabbitmq.client.Connection;
import io.imginject.protocol.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's own meters, one typed method for each event the worker counts, so that the packages where things
 * happen name the event and nothing of Micrometer. Exposed by a Prometheus registry, a meter named
 * {@code imginject.jobs} here reads {@code imginject_jobs_total}, a timer {@code imginject_job_duration_seconds}.
 * A label with no value for an event (no handler opened the image, the job succeeded) reads {@code none}.
 */
public final class WorkerMetrics {
    static final String NONE = "none";

    /** Bucket bounds of the job and lock-wait histograms: a loop job takes tens of ms, a guestfs one 15 s (TCG). */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        Duration.ofSeconds(300),
        Duration.ofSeconds(1800)
    };

    private final MeterRegistry registry;
    private final AtomicInteger jobsInFlight = new AtomicInteger();
    private final Counter keptReplyHits;

    /** Registers the meters without labels at once, so that they read 0 before their first event. */
    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("imginject.jobs.in.flight", jobsInFlight, AtomicInteger::get)
                .description("Jobs running now")
                .register(registry);
        keptReplyHits = Counter.builder("imginject.kept.reply.hits")
                .description("Deliveries answered from a kept reply instead of running the request again")
                .register(registry);
    }

    /** A job starts: it counts as in flight until the returned meter is closed, which records how it ended. */
    public JobMeter jobStarted() {
        jobsInFlight.incrementAndGet();
        return new JobMeter(this, Timer.start(registry));
    }

    void jobLeft() {
        jobsInFlight.decrementAndGet();
    }

    void jobEnded(String handler, String filesystem, String outcome, String code) {
        Counter.builder("imginject.jobs")
                .description("Jobs ended, by the handler that opened the image, its filesystem driver, the outcome"
                        + " (ok, error, or interrupted by the worker's shutdown) and the error code")
                .tag("handler", handler)
                .tag("filesystem", filesystem)
                .tag("outcome", outcome)
                .tag("code", code)
                .register(registry)
                .increment();
    }

    Timer jobDuration(String handler) {
        return Timer.builder("imginject.job.duration")
                .description("How long answered jobs took on the worker, the wait for the image lock included,"
                        + " by the handler that opened the image")
                .tag("handler", handler)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    void handlerAttempt(String handler, String outcome, String code) {
        Counter.builder("imginject.handler.attempts")
                .description("Tries of a handler to open an image, by handler, outcome (ok, failed, skipped) and code")
                .tag("handler", handler)
                .tag("outcome", outcome)
                .tag("code", code)
                .register(registry)
                .increment();
    }

    void handlerRetry(String handler) {
        Counter.builder("imginject.handler.retries")
                .description("Tries of a handler after a transient failure of the same handler (tries past the first)")
                .tag("handler", handler)
                .register(registry)
                .increment();
    }

    /**
     * A job waited {@code waited} for its image's lock across the host's workers.
     *
     * @param failure why it did not get the lock ({@code image_busy}: another job kept it too long), if it did not
     */
    public void lockWaited(Duration waited, Optional<ErrorCode> failure) {
        Timer.builder("imginject.image.lock.wait")
                .description("Waits of jobs for their image's lock, by the code of a wait that did not get it")
                .tag("code", code(failure))
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(waited);
    }

    /** A request was dead-lettered, its copy confirmed by the broker. */
    public void deadLettered(ErrorCode code) {
        Counter.builder("imginject.dead.letters")
                .description("Requests dead-lettered (copy confirmed by the broker), by error code")
                .tag("code", code.wireName())
                .register(registry)
                .increment();
    }

    /** A delivery was answered from the kept reply of an earlier run of its request, not run again. */
    public void keptReplyHit() {
        keptReplyHits.increment();
    }

    /** Crash recovery released a host resource of {@code kind} (a journal's name) that a dead worker held. */
    public void crashRecoveryReleased(String kind) {
        Counter.builder("imginject.crash.recovery.releases")
                .description("Host resources that dead workers left behind, released by crash recovery, by kind")
                .tag("kind", kind.toLowerCase(Locale.ROOT))
                .register(registry)
                .increment();
    }

    /**
     * Follows one of the worker's broker connections: whether it is open now, and how often the broker or the
     * network closed it (the client then recovers it).
     *
     * @param role what the worker uses it for ({@code consume}, {@code publish})
     */
    public void watchConnection(String role, Connection connection) {
        Gauge.builder("imginject.broker.connected", connection, c -> c.isOpen() ? 1 : 0)
                .description("Whether the worker's broker connection is open (1) or lost (0), by its role")
                .tag("connection", role)
                .strongReference(true)
                .register(registry);
        Counter losses = Counter.builder("imginject.broker.connection.losses")
                .description("Broker connections lost (closed by the broker or the network, not by the worker)")
                .tag("connection", role)
                .register(registry);
        connection.addShutdownListener(cause -> {
            if (!cause.isInitiatedByApplication()) {
                losses.increment();
            }
        });
    }

    static String code(Optional<ErrorCode> code) {
        return code.map(ErrorCode::wireName).orElse(NONE);
    }
}
