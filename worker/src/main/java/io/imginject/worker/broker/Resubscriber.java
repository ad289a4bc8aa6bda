package io.imginject.worker.broker;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a consumer cancellation from the broker (the queue was deleted, or its node went away): declares the
 * topology again and consumes again, retrying every few seconds until it works or the door is stopping. Connection
 * losses are the client library's automatic recovery's business; this covers what it does not.
 */
final class Resubscriber {
    private static final Logger log = LoggerFactory.getLogger(Resubscriber.class);
    private static final long RETRY_SECONDS = 5;

    /** Subscribing again: declares what is needed and consumes. */
    @FunctionalInterface
    interface Subscription {
        void subscribe() throws IOException;
    }

    private final ScheduledExecutorService scheduler;
    private final String what;
    private final Subscription subscription;
    private final BooleanSupplier stopping;

    Resubscriber(ScheduledExecutorService scheduler, String what, Subscription subscription, BooleanSupplier stopping) {
        this.scheduler = scheduler;
        this.what = what;
        this.subscription = subscription;
        this.stopping = stopping;
    }

    /** Called when the broker cancelled the consumer. */
    void cancelled(String consumerTag) {
        if (stopping.getAsBoolean()) {
            return;
        }
        log.warn(
                "the broker cancelled the consumer {} of {} (queue deleted?); consuming again in {} s",
                consumerTag,
                what,
                RETRY_SECONDS);
        tryAgainLater();
    }

    @SuppressWarnings("FutureReturnValueIgnored") // tryAgain logs its own failures; nothing waits for it
    private void tryAgainLater() {
        scheduler.schedule(this::tryAgain, RETRY_SECONDS, TimeUnit.SECONDS);
    }

    private void tryAgain() {
        if (stopping.getAsBoolean()) {
            return;
        }
        try {
            subscription.subscribe();
            log.info("consuming {} again", what);
        } catch (IOException | RuntimeException e) {
            log.warn("could not consume {} again ({}); retrying in {} s", what, e.toString(), RETRY_SECONDS);
            tryAgainLater();
        }
    }
}
