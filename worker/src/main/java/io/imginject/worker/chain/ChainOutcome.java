package io.imginject.worker.chain;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.HandlerName;
import io.imginject.worker.failure.InjectException;
import java.util.List;
import java.util.Optional;

/**
 * What the chain did with one image.
 *
 * @param handler the handler that opened the image, if one did
 * @param attempts every attempt, in order
 * @param result what the work produced, if a handler opened the image
 * @param failure why the job failed: no handler opened the image, or releasing it afterwards failed
 * @param <T> the work's result
 */
public record ChainOutcome<T>(
        Optional<HandlerName> handler, List<Attempt> attempts, Optional<T> result, Optional<InjectException> failure) {}
