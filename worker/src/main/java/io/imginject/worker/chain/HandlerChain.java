package io.imginject.worker.chain;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.failure.ErrorCodeLogField;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.image.DiskImage;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Tries the handlers in order until one opens the image, runs the work on the guest it opened, and always closes
 * it. A handler that cannot take the image here is skipped with its reason; one that fails transiently is retried
 * with backoff (resilience4j); one that fails otherwise hands over to the next at once, unless the failure says the
 * image must not be touched at all (it is in use by a VM), which ends the chain. Every try is an attempt in the
 * reply. Once the job's time is up (or the worker shuts down), no further handler or try starts.
 */
public final class HandlerChain {
    private static final Logger log = LoggerFactory.getLogger(HandlerChain.class);
    /** The log field (MDC key) naming the handler on the lines logged while it opens the image and the items run. */
    static final String HANDLER_FIELD = "handler";
    /** Failures after which no other handler may try: the image itself is off limits. */
    private static final Set<ErrorCode> ENDS_THE_CHAIN = EnumSet.of(ErrorCode.IMAGE_IN_USE);

    private final Map<HandlerName, ImageHandler> enabled;
    private final List<HandlerName> defaultOrder;
    private final RetrySettings retry;

    /**
     * @param enabled the handlers the operator enabled
     * @param defaultOrder the order for requests that name none
     * @param retry how transient failures are retried
     */
    public HandlerChain(Map<HandlerName, ImageHandler> enabled, List<HandlerName> defaultOrder, RetrySettings retry) {
        this.enabled = Map.copyOf(enabled);
        this.defaultOrder = List.copyOf(defaultOrder);
        this.retry = retry;
    }

    /**
     * Opens {@code image} with the first handler of {@code order} (the default order if empty) that manages, and
     * applies {@code work} to its guest.
     *
     * @param timeUp whether the job's deadline passed, after which nothing new is tried
     */
    public <T> ChainOutcome<T> run(
            DiskImage image,
            PartitionSelector partition,
            List<HandlerName> order,
            BooleanSupplier timeUp,
            Function<GuestFs, T> work) {
        try {
            return runInOrder(image, partition, order, timeUp, work);
        } finally {
            MDC.remove(HANDLER_FIELD);
        }
    }

    private <T> ChainOutcome<T> runInOrder(
            DiskImage image,
            PartitionSelector partition,
            List<HandlerName> order,
            BooleanSupplier timeUp,
            Function<GuestFs, T> work) {
        long chainStarted = System.nanoTime();
        List<Attempt> attempts = new ArrayList<>();
        for (HandlerName name : order.isEmpty() ? defaultOrder : order) {
            if (Thread.currentThread().isInterrupted() || timeUp.getAsBoolean()) {
                break;
            }
            MDC.put(HANDLER_FIELD, name.wireName());
            ImageHandler handler = enabled.get(name);
            Optional<String> unavailable = handler == null
                    ? Optional.of(name + " is not enabled on this worker (enabled: " + enabledNames() + ")")
                    : handler.unavailableReason(image);
            if (unavailable.isPresent()) {
                attempts.add(new Attempt(
                        name.wireName(), 1, Outcome.SKIPPED, ErrorCode.HANDLER_UNAVAILABLE, unavailable.get(), 0));
                continue;
            }
            Optional<Opened> opened = openWithRetries(handler, image, partition, attempts, chainStarted, timeUp);
            if (opened.isEmpty()) {
                if (ENDS_THE_CHAIN.contains(attempts.get(attempts.size() - 1).code())) {
                    break;
                }
                continue;
            }
            OpenGuest guest = opened.get().guest();
            long workStarted = System.nanoTime();
            T result;
            try {
                result = work.apply(guest.fs());
            } catch (RuntimeException e) {
                closeAfterFailure(guest, e);
                throw e;
            }
            long closeStarted = System.nanoTime();
            Optional<InjectException> cleanupFailure = Optional.empty();
            try {
                guest.close();
            } catch (InjectException e) {
                cleanupFailure = Optional.of(e);
            }
            log.debug(
                    "{}: open {} ms, items {} ms, close {} ms",
                    name,
                    (workStarted - opened.get().started()) / 1_000_000,
                    (closeStarted - workStarted) / 1_000_000,
                    millisSince(closeStarted));
            attempts.add(new Attempt(
                    name.wireName(),
                    opened.get().number(),
                    Outcome.OK,
                    null,
                    null,
                    millisSince(opened.get().started()),
                    guest.filesystem()));
            return new ChainOutcome<>(Optional.of(name), attempts, Optional.of(result), cleanupFailure);
        }
        return new ChainOutcome<>(Optional.empty(), attempts, Optional.empty(), Optional.of(noHandler(attempts)));
    }

    /** The guest a handler opened, and which try of it did. */
    private record Opened(OpenGuest guest, int number, long started) {}

    @SuppressWarnings("try") // the error code log field is set for the line, not used in it
    private Optional<Opened> openWithRetries(
            ImageHandler handler,
            DiskImage image,
            PartitionSelector partition,
            List<Attempt> attempts,
            long chainStarted,
            BooleanSupplier timeUp) {
        String name = handler.name().wireName();
        Retry retrying = Retry.of(
                name,
                RetryConfig.custom()
                        .maxAttempts(retry.maxAttempts())
                        .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                                retry.initialInterval().toMillis(),
                                retry.multiplier(),
                                0.5,
                                retry.maxInterval().toMillis()))
                        .retryOnException(e -> e instanceof InjectException failure
                                && failure.code().isTransient()
                                && System.nanoTime() - chainStarted
                                        < retry.maxTotal().toNanos()
                                && !timeUp.getAsBoolean())
                        .build());
        retrying.getEventPublisher()
                .onRetry(event -> log.warn(
                        "{} failed transiently (try {}): {}; retrying in {} ms",
                        name,
                        event.getNumberOfRetryAttempts(),
                        event.getLastThrowable().getMessage(),
                        event.getWaitInterval().toMillis()));
        int[] tries = {0};
        Supplier<Opened> tryOnce = () -> {
            int number = ++tries[0];
            long started = System.nanoTime();
            try {
                return new Opened(handler.open(image, partition), number, started);
            } catch (InjectException e) {
                try (MDC.MDCCloseable code = ErrorCodeLogField.set(e.code())) {
                    log.info("{} could not open {} (try {}): {} {}", name, image, number, e.code(), e.getMessage());
                }
                attempts.add(new Attempt(name, number, Outcome.FAILED, e.code(), e.getMessage(), millisSince(started)));
                throw e;
            }
        };
        try {
            return Optional.of(Retry.decorateSupplier(retrying, tryOnce).get());
        } catch (InjectException e) {
            return Optional.empty();
        }
    }

    /**
     * The failure when no handler opened the image: the failed attempts' own code when they agree (so a missing
     * partition reads as PARTITION_NOT_FOUND, not as a vague chain failure), NO_HANDLER otherwise.
     */
    private static InjectException noHandler(List<Attempt> attempts) {
        String summary = attempts.stream()
                .map(a -> a.handler() + " " + a.outcome() + (a.attempt() > 1 ? " (try " + a.attempt() + ")" : "") + ": "
                        + a.message())
                .collect(Collectors.joining("; "));
        List<ErrorCode> failedCodes = attempts.stream()
                .filter(a -> a.outcome() == Outcome.FAILED)
                .map(Attempt::code)
                .distinct()
                .toList();
        if (failedCodes.size() == 1) {
            return new InjectException(failedCodes.get(0), "no handler could open the image: " + summary);
        }
        return new InjectException(
                ErrorCode.NO_HANDLER,
                attempts.isEmpty() ? "no handler is configured" : "no handler could open the image: " + summary);
    }

    private String enabledNames() {
        return enabled.isEmpty()
                ? "none"
                : enabled.keySet().stream().sorted().map(HandlerName::wireName).collect(Collectors.joining(", "));
    }

    private static void closeAfterFailure(OpenGuest guest, RuntimeException failure) {
        try {
            guest.close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
