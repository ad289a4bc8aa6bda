package io.imginject.worker.metrics;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorInfo;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.Outcome;
import io.micrometer.core.instrument.Timer;
import java.util.Optional;

/**
 * One job in flight, from {@link WorkerMetrics#jobStarted}: {@link #answered} records the job, its duration and its
 * handlers' attempts from its reply; {@link #close} takes it out of flight, and records a job that ended without a
 * reply (the worker's shutdown interrupted it) as {@code interrupted}.
 */
public final class JobMeter implements AutoCloseable {
    private final WorkerMetrics metrics;
    private final Timer.Sample started;
    private boolean answered;

    JobMeter(WorkerMetrics metrics, Timer.Sample started) {
        this.metrics = metrics;
        this.started = started;
    }

    /** The job ended with {@code reply}. */
    public void answered(InjectionReply reply) {
        answered = true;
        String handler = reply.handler() == null ? WorkerMetrics.NONE : reply.handler();
        String filesystem = reply.attempts().stream()
                .filter(attempt -> attempt.outcome() == Outcome.OK && attempt.filesystem() != null)
                .map(Attempt::filesystem)
                .map(FilesystemDriver::wireName)
                .findFirst()
                .orElse(WorkerMetrics.NONE);
        metrics.jobEnded(
                handler,
                filesystem,
                reply.status().wireName(),
                WorkerMetrics.code(Optional.ofNullable(reply.error()).map(ErrorInfo::code)));
        started.stop(metrics.jobDuration(handler));
        for (Attempt attempt : reply.attempts()) {
            metrics.handlerAttempt(
                    attempt.handler(),
                    attempt.outcome().wireName(),
                    WorkerMetrics.code(Optional.ofNullable(attempt.code())));
            if (attempt.attempt() > 1) {
                metrics.handlerRetry(attempt.handler());
            }
        }
    }

    @Override
    public void close() {
        if (!answered) {
            metrics.jobEnded(WorkerMetrics.NONE, WorkerMetrics.NONE, "interrupted", WorkerMetrics.NONE);
        }
        metrics.jobLeft();
    }
}
