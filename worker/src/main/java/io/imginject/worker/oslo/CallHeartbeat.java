package io.imginject.worker.oslo;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a caller that set a call-monitor timeout waiting: every {@code timeout / 2} seconds (integer seconds, as
 * oslo does; nothing when that is under one) a heartbeat reply, until closed. Closing waits for a heartbeat in
 * flight, so none follows the final reply.
 */
final class CallHeartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CallHeartbeat.class);

    private final Object lock = new Object();
    private final ScheduledFuture<?> beats;
    private boolean stopped;

    private CallHeartbeat(
            ScheduledExecutorService scheduler, OsloReplier replier, ReplyAddress to, long periodSeconds) {
        this.beats = periodSeconds < 1
                ? null
                : scheduler.scheduleAtFixedRate(
                        () -> beat(replier, to), periodSeconds, periodSeconds, TimeUnit.SECONDS);
    }

    /** Starts heartbeats for {@code call}, when its caller set a call-monitor timeout of at least two seconds. */
    static CallHeartbeat start(
            ScheduledExecutorService scheduler,
            OsloReplier replier,
            ReplyAddress call,
            Optional<Integer> callMonitorTimeout) {
        return new CallHeartbeat(
                scheduler,
                replier,
                call,
                callMonitorTimeout.map(timeout -> timeout / 2L).orElse(0L));
    }

    private void beat(OsloReplier replier, ReplyAddress to) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            try {
                replier.heartbeat(to);
            } catch (IOException e) {
                log.warn("could not send a call-monitor heartbeat for {}: {}", to.msgId(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            stopped = true;
        }
        if (beats != null) {
            beats.cancel(false);
        }
    }
}
