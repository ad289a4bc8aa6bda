package io.imginject.worker.chain;

import java.time.Duration;

/**
 * How the chain retries a handler whose failure is transient (no free device, a helper slow to come up, an
 * appliance launch that timed out): exponential backoff with jitter, bounded in attempts and in total time.
 *
 * @param maxAttempts tries per handler, the first included
 * @param initialInterval the wait before the first retry
 * @param multiplier how much each wait grows
 * @param maxInterval the longest single wait
 * @param maxTotal no retry starts once this much time has passed since the chain began
 */
public record RetrySettings(
        int maxAttempts, Duration initialInterval, double multiplier, Duration maxInterval, Duration maxTotal) {

    public static final RetrySettings DEFAULT =
            new RetrySettings(3, Duration.ofMillis(500), 2.0, Duration.ofSeconds(5), Duration.ofSeconds(60));

    public RetrySettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("retry attempts must be at least 1, got " + maxAttempts);
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("retry multiplier must be at least 1.0, got " + multiplier);
        }
    }
}
