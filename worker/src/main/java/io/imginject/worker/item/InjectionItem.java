package io.imginject.worker.item;

import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;

/**
 * One thing a request asks to put into the guest. Applying an item twice leaves the guest as applying it once,
 * so a redelivered or replayed job changes nothing more.
 */
public interface InjectionItem {

    ItemName name();

    /**
     * Applies the item. Returns ok or skipped with a message; a failure is an
     * {@link InjectException}.
     */
    ItemResult apply(GuestFs guest);
}
