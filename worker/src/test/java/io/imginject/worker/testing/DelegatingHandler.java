package io.imginject.worker.testing;

import io.imginject.protocol.HandlerName;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.image.DiskImage;
import java.util.Optional;

/**
 * A seam for tests: a handler that is a real one in name and availability, and opens the guest however the test's
 * subclass says, usually by calling {@link #real} around something it does to the host or the image.
 */
public abstract class DelegatingHandler implements ImageHandler {
    protected final ImageHandler real;

    protected DelegatingHandler(ImageHandler real) {
        this.real = real;
    }

    @Override
    public HandlerName name() {
        return real.name();
    }

    @Override
    public Optional<String> unavailableReason(DiskImage image) {
        return real.unavailableReason(image);
    }
}
