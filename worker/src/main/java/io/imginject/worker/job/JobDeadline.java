package io.imginject.worker.job;

import io.imginject.worker.host.JobHelpers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A job's overall time limit. Once it passes, the job's own helpers (qemu-nbd, nbdfuse, the appliance) are killed,
 * and again every second while the job still runs, so that whatever call waits on them returns and the job's
 * cleanup can run; helpers the job starts after its deadline die the same way. Host tools are left to finish
 * within their own time limit: one cut short half-way could leave a device or mount nobody knows of.
 */
final class JobDeadline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobDeadline.class);
    private static final Duration KILL_AGAIN_EVERY = Duration.ofSeconds(1);

    private final Duration limit;
    private final long end;
    private final ScheduledFuture<?> killer;

    private JobDeadline(Duration limit, long end, ScheduledFuture<?> killer) {
        this.limit = limit;
        this.end = end;
        this.killer = killer;
    }

    /** Starts the clock of a job whose helpers are {@code helpers}; closing stops it. */
    static JobDeadline start(Duration limit, JobHelpers helpers, ScheduledExecutorService timer) {
        long end = System.nanoTime() + limit.toNanos();
        String job = MDC.get("job");
        ScheduledFuture<?> killer = timer.scheduleAtFixedRate(
                () -> killHelpers(helpers, job, limit),
                limit.toMillis(),
                KILL_AGAIN_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        return new JobDeadline(limit, end, killer);
    }

    private static void killHelpers(JobHelpers helpers, String job, Duration limit) {
        List<String> killed = helpers.killAll();
        if (!killed.isEmpty() && job != null) {
            MDC.put("job", job);
            try {
                log.warn("the job ran past its {} s deadline; killed {}", limit.toSeconds(), String.join(", ", killed));
            } finally {
                MDC.remove("job");
            }
        } else if (!killed.isEmpty()) {
            log.warn("a job ran past its {} s deadline; killed {}", limit.toSeconds(), String.join(", ", killed));
        }
    }

    boolean passed() {
        return System.nanoTime() - end >= 0;
    }

    /** The time left, never negative. */
    Duration remaining() {
        return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
    }

    Duration limit() {
        return limit;
    }

    @Override
    public void close() {
        killer.cancel(false);
    }
}
