package io.imginject.worker.broker;

import com.rabbitmq.client.ShutdownSignalException;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.core.functions.CheckedRunnable;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a confirmed publish that failed (a nack, a missing confirm, a channel or connection closed or down) with
 * exponential backoff, twelve tries over about a minute, long enough to outlast a broker restart while the client
 * library recovers the connection, before the caller gives the request back to the queue. A
 * {@link PublishRefusedException} is not retried: the same message would be refused again.
 */
public final class PublishRetry {
    private static final Logger log = LoggerFactory.getLogger(PublishRetry.class);

    private final Retry retry;

    /** Twelve tries over about a minute. */
    public PublishRetry() {
        this(12, Duration.ofMillis(200));
    }

    /**
     * {@code tries} tries, the first included, waiting {@code firstWait} before the second and twice as long before
     * each next, up to 10 s, each wait within ±50 %.
     */
    public PublishRetry(int tries, Duration firstWait) {
        retry = Retry.of(
                "publish",
                RetryConfig.custom()
                        .maxAttempts(tries)
                        .intervalFunction(
                                IntervalFunction.ofExponentialRandomBackoff(firstWait.toMillis(), 2.0, 0.5, 10_000))
                        .retryOnException(e -> (e instanceof IOException || e instanceof ShutdownSignalException)
                                && !(e instanceof PublishRefusedException))
                        .build());
        retry.getEventPublisher()
                .onRetry(event -> log.warn(
                        "publishing failed (try {}), retrying: {}",
                        event.getNumberOfRetryAttempts(),
                        String.valueOf(event.getLastThrowable())));
    }

    public void run(CheckedRunnable publish) throws IOException {
        try {
            Retry.decorateCheckedRunnable(retry, publish).run();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }
}
