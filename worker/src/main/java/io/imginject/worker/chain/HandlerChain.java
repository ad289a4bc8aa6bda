package io.imginject.worker.chain;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.OpenGuest;
import io.imginject.worker.image.DiskImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tries the handlers in order until one opens the image, runs the work on the guest it opened, and always closes
 * it. A handler that cannot take the image here is skipped with its reason; one that fails hands over to the
 * next. Every attempt is recorded.
 */
public final class HandlerChain {
    private static final Logger log = LoggerFactory.getLogger(HandlerChain.class);

    private final Map<HandlerName, ImageHandler> enabled;
    private final List<HandlerName> defaultOrder;

    /**
     * @param enabled the handlers the operator enabled
     * @param defaultOrder the order for requests that name none
     */
    public HandlerChain(Map<HandlerName, ImageHandler> enabled, List<HandlerName> defaultOrder) {
        this.enabled = Map.copyOf(enabled);
        this.defaultOrder = List.copyOf(defaultOrder);
    }

    public List<HandlerName> defaultOrder() {
        return defaultOrder;
    }

    /**
     * Opens {@code image} with the first handler of {@code order} (the default order if empty) that manages, and
     * applies {@code work} to its guest.
     */
    public <T> ChainOutcome<T> run(DiskImage image, PartitionSelector partition, List<HandlerName> order, Function<GuestFs, T> work) {
        List<Attempt> attempts = new ArrayList<>();
        for (HandlerName name : order.isEmpty() ? defaultOrder : order) {
            long started = System.nanoTime();
            ImageHandler handler = enabled.get(name);
            Optional<String> unavailable = handler == null
                    ? Optional.of(name + " is not enabled on this worker (enabled: " + enabledNames() + ")")
                    : handler.unavailableReason(image);
            if (unavailable.isPresent()) {
                attempts.add(new Attempt(name.wireName(), 1, Outcome.SKIPPED, ErrorCode.HANDLER_UNAVAILABLE, unavailable.get(), millisSince(started)));
                continue;
            }
            OpenGuest guest;
            try {
                guest = handler.open(image, partition);
            } catch (InjectException e) {
                log.info("{} could not open {}: {} {}", name, image, e.code(), e.getMessage());
                attempts.add(new Attempt(name.wireName(), 1, Outcome.FAILED, e.code(), e.getMessage(), millisSince(started)));
                continue;
            }
            T result;
            try {
                result = work.apply(guest.fs());
            } catch (RuntimeException e) {
                closeAfterFailure(guest, e);
                throw e;
            }
            try {
                guest.close();
            } catch (InjectException e) {
                attempts.add(new Attempt(name.wireName(), 1, Outcome.OK, null, null, millisSince(started)));
                return new ChainOutcome<>(Optional.of(name), attempts, Optional.of(result), Optional.of(e));
            }
            attempts.add(new Attempt(name.wireName(), 1, Outcome.OK, null, null, millisSince(started)));
            return new ChainOutcome<>(Optional.of(name), attempts, Optional.of(result), Optional.empty());
        }
        return new ChainOutcome<>(Optional.empty(), attempts, Optional.empty(), Optional.of(noHandler(attempts)));
    }

    /**
     * The failure when no handler opened the image: the failed attempts' own code when they agree (so a missing
     * partition reads as PARTITION_NOT_FOUND, not as a vague chain failure), NO_HANDLER otherwise.
     */
    private static InjectException noHandler(List<Attempt> attempts) {
        String summary = attempts.stream().map(a -> a.handler() + " " + a.outcome() + ": " + a.message()).collect(Collectors.joining("; "));
        List<ErrorCode> failedCodes = attempts.stream().filter(a -> a.outcome() == Outcome.FAILED).map(Attempt::code).distinct().toList();
        if (failedCodes.size() == 1) {
            return new InjectException(failedCodes.get(0), "no handler could open the image: " + summary);
        }
        return new InjectException(ErrorCode.NO_HANDLER, attempts.isEmpty() ? "no handler is configured"
                : "no handler could open the image: " + summary);
    }

    private String enabledNames() {
        return enabled.isEmpty() ? "none" : enabled.keySet().stream().sorted().map(HandlerName::wireName).collect(Collectors.joining(", "));
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
