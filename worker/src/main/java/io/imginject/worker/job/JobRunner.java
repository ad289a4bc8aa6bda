package io.imginject.worker.job;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.chain.ChainOutcome;
import io.imginject.worker.chain.HandlerChain;
import io.imginject.worker.failure.ErrorCodeLogField;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.CrashRecovery;
import io.imginject.worker.host.JobHelpers;
import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.HeldImageFile;
import io.imginject.worker.image.ImageInspection;
import io.imginject.worker.image.ImageJobLocks;
import io.imginject.worker.image.ImageLocator;
import io.imginject.worker.item.ItemRunner;
import io.imginject.worker.metrics.JobMeter;
import io.imginject.worker.metrics.WorkerMetrics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one job from start to reply: locates the image, takes the image lock, releases what dead workers left behind
 * (their mounts of this image among it), has qemu vouch for the image (format, lock, backing files), has the chain
 * open it and the items fill it, and turns what happened into a reply. Every failure of the job becomes an error
 * reply; the one thing it throws is {@link JobInterruptedException}, when the worker's shutdown stopped the job and
 * the request must go back to the queue unanswered. A job still running at its deadline ({@code job-timeout},
 * counted from its start, the wait for the image lock included) has its helpers killed ({@link JobDeadline}),
 * releases what it holds as any failed job does, and fails with {@code job_timeout}.
 */
public final class JobRunner {
    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

    private final String host;
    private final ImageLocator locator;
    private final ImageInspection inspector;
    private final ImageJobLocks locks;
    private final HandlerChain chain;
    private final ItemRunner items;
    private final CrashRecovery recovery;
    private final Duration jobTimeout;
    private final ScheduledExecutorService timer;
    private final WorkerMetrics metrics;

    /**
     * @param timer runs the deadlines' kills; its tasks are short
     * @param metrics records each job, its handlers' attempts and its wait for the image lock
     */
    public JobRunner(
            String host,
            ImageLocator locator,
            ImageInspection inspector,
            ImageJobLocks locks,
            HandlerChain chain,
            ItemRunner items,
            CrashRecovery recovery,
            Duration jobTimeout,
            ScheduledExecutorService timer,
            WorkerMetrics metrics) {
        this.host = host;
        this.locator = locator;
        this.inspector = inspector;
        this.locks = locks;
        this.chain = chain;
        this.items = items;
        this.recovery = recovery;
        this.jobTimeout = jobTimeout;
        this.timer = timer;
        this.metrics = metrics;
    }

    public String host() {
        return host;
    }

    /**
     * Runs {@code job} and returns its reply, an error reply for any failure of the job.
     *
     * @throws JobInterruptedException when the worker's shutdown interrupted the job: it must not be answered
     */
    public InjectionReply run(Job job) {
        long started = System.nanoTime();
        try (JobMeter meter = metrics.jobStarted();
                JobHelpers helpers = JobHelpers.enter();
                JobDeadline deadline = JobDeadline.start(jobTimeout, helpers, timer)) {
            InjectionReply reply = run(job, deadline, started);
            meter.answered(reply);
            return reply;
        }
    }

    /** Takes {@code file}'s image lock, waiting at most what is left of the job's time; the wait is measured. */
    private SharedLocks.Held lock(HeldImageFile file, JobDeadline deadline) throws InterruptedException {
        long waitStarted = System.nanoTime();
        try {
            SharedLocks.Held held = locks.lock(file.path(), deadline.remaining());
            metrics.lockWaited(Duration.ofNanos(System.nanoTime() - waitStarted), Optional.empty());
            return held;
        } catch (InjectException e) {
            metrics.lockWaited(Duration.ofNanos(System.nanoTime() - waitStarted), Optional.of(e.code()));
            throw e;
        }
    }

    @SuppressWarnings("try") // the image lock is held for the block, not used in it
    private InjectionReply run(Job job, JobDeadline deadline, long started) {
        InjectionRequest request = job.request();
        try {
            ChainOutcome<Map<ItemName, ItemResult>> outcome;
            try (HeldImageFile file = locator.open(request.image().path(), true);
                    SharedLocks.Held lock = lock(file, deadline)) {
                if (deadline.passed()) {
                    return timedOut(job, deadline, List.of(), started);
                }
                long recoveryStarted = System.nanoTime();
                recovery.recoverDeadWorkers();
                long inspectionStarted = System.nanoTime();
                try (DiskImage image = inspector.inspect(file, request.image().format())) {
                    long chainStarted = System.nanoTime();
                    outcome = chain.run(
                            image,
                            request.image().partition(),
                            request.handlers(),
                            deadline::passed,
                            guest -> items.run(request.inject(), guest));
                    log.debug(
                            "steps: image opened and locked {} ms, recovery {} ms, inspection {} ms, chain {} ms",
                            (recoveryStarted - started) / 1_000_000,
                            (inspectionStarted - recoveryStarted) / 1_000_000,
                            (chainStarted - inspectionStarted) / 1_000_000,
                            (System.nanoTime() - chainStarted) / 1_000_000);
                }
            }
            checkNotInterrupted();
            if (deadline.passed()) {
                return timedOut(job, deadline, outcome.attempts(), started);
            }
            return reply(job, outcome, started);
        } catch (InjectException e) {
            checkNotInterrupted();
            if (deadline.passed()) {
                return timedOut(job, deadline, List.of(), started);
            }
            logFailure(e.code(), e.getMessage());
            return failed(job, e.code(), e.getMessage(), started);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobInterruptedException();
        } catch (RuntimeException e) {
            checkNotInterrupted();
            if (deadline.passed()) {
                return timedOut(job, deadline, List.of(), started);
            }
            try (MDC.MDCCloseable code = ErrorCodeLogField.set(ErrorCode.INTERNAL_ERROR)) {
                log.error("job failed unexpectedly", e);
            }
            return failed(
                    job,
                    ErrorCode.INTERNAL_ERROR,
                    "unexpected " + e.getClass().getSimpleName() + "; see the worker log",
                    started);
        }
    }

    /** The line that says the job failed, with its error code as a log field. */
    @SuppressWarnings("try") // the error code log field is set for the line, not used in it
    private static void logFailure(ErrorCode code, String message) {
        try (MDC.MDCCloseable field = ErrorCodeLogField.set(code)) {
            log.info("job failed: {} {}", code, message);
        }
    }

    /** A job whose thread was interrupted may have failed only because of it; its outcome must not be reported. */
    private static void checkNotInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new JobInterruptedException();
        }
    }

    private InjectionReply reply(Job job, ChainOutcome<Map<ItemName, ItemResult>> outcome, long started) {
        Map<ItemName, ItemResult> results = outcome.result().orElse(Map.of());
        Optional<InjectException> failure = outcome.failure()
                .or(() -> filesystemFailure(results))
                .or(() -> mandatoryFailure(job.request(), results));
        failure.ifPresent(e -> logFailure(e.code(), e.getMessage()));
        Map<String, ItemResult> items = new LinkedHashMap<>();
        results.forEach((name, result) -> items.put(name.wireName(), result));
        return new InjectionReply(
                1,
                failure.isPresent() ? InjectionReply.Status.ERROR : InjectionReply.Status.OK,
                job.id(),
                host,
                outcome.handler().map(HandlerName::wireName).orElse(null),
                items,
                outcome.attempts(),
                failure.map(e -> ErrorInfo.of(e.code(), e.getMessage())).orElse(null),
                millisSince(started));
    }

    /**
     * The reply of a job its deadline ended: whatever the items managed before their helpers were killed is not
     * reported, since the guest may not have kept it; the attempts show how far the job got.
     */
    @SuppressWarnings("try") // the error code log field is set for the line, not used in it
    private InjectionReply timedOut(Job job, JobDeadline deadline, List<Attempt> attempts, long started) {
        String message = "the job ran past its deadline of " + deadline.limit().toSeconds()
                + " s (job-timeout); its helpers were killed and what it held was released";
        try (MDC.MDCCloseable code = ErrorCodeLogField.set(ErrorCode.JOB_TIMEOUT)) {
            log.warn("job failed: {} {}", ErrorCode.JOB_TIMEOUT, message);
        }
        return new InjectionReply(
                1,
                InjectionReply.Status.ERROR,
                job.id(),
                host,
                null,
                Map.of(),
                attempts,
                ErrorInfo.of(ErrorCode.JOB_TIMEOUT, message),
                millisSince(started));
    }

    /** A filesystem that reported corruption fails the job whichever items were mandatory: the guest is damaged. */
    private static Optional<InjectException> filesystemFailure(Map<ItemName, ItemResult> results) {
        return results.entrySet().stream()
                .filter(entry -> entry.getValue().isFailed() && entry.getValue().code() == ErrorCode.FILESYSTEM_ERROR)
                .findFirst()
                .map(entry -> new InjectException(
                        ErrorCode.FILESYSTEM_ERROR,
                        "the guest's filesystem reported corruption during "
                                + entry.getKey().wireName() + " ("
                                + entry.getValue().message()
                                + "); nothing more was written; check the image with fsck"));
    }

    private static Optional<InjectException> mandatoryFailure(
            InjectionRequest request, Map<ItemName, ItemResult> results) {
        List<String> failed = request.mandatory().stream()
                .filter(name -> results.containsKey(name) && results.get(name).isFailed())
                .map(name -> name.wireName() + " (" + results.get(name).code().wireName() + ": "
                        + results.get(name).message() + ")")
                .toList();
        return failed.isEmpty()
                ? Optional.empty()
                : Optional.of(new InjectException(
                        ErrorCode.MANDATORY_ITEM_FAILED,
                        "mandatory " + (failed.size() == 1 ? "item failed: " : "items failed: ")
                                + String.join("; ", failed)));
    }

    private InjectionReply failed(Job job, ErrorCode code, String message, long started) {
        return InjectionReply.failure(job.id(), host, ErrorInfo.of(code, message), millisSince(started));
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
