package io.imginject.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A v1 injection request: which image, what to inject, which items must not fail, and optionally the handler
 * order to try.
 *
 * @param image the image and the filesystem in it
 * @param inject what to inject
 * @param mandatory items whose failure fails the whole job
 * @param handlers the handler order for this job; empty means the worker's configured order
 */
public record InjectionRequest(ImageRef image, Injections inject, Set<ItemName> mandatory, List<HandlerName> handlers) {

    public InjectionRequest {
        mandatory = mandatory.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(mandatory));
        handlers = List.copyOf(handlers);
    }

    public static InjectionRequest of(ImageRef image, Injections inject) {
        return new InjectionRequest(image, inject, Set.of(), List.of());
    }

    public InjectionRequest withMandatory(Set<ItemName> newMandatory) {
        return new InjectionRequest(image, inject, newMandatory, handlers);
    }

    public InjectionRequest withImage(ImageRef newImage) {
        return new InjectionRequest(newImage, inject, mandatory, handlers);
    }

    public InjectionRequest withHandlers(List<HandlerName> newHandlers) {
        return new InjectionRequest(image, inject, mandatory, newHandlers);
    }
}
