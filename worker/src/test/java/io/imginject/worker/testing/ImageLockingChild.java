package io.imginject.worker.testing;

import io.imginject.worker.image.ImageJobLocks;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A stand-in for a sibling worker on the same host whose job holds an image, run as its own JVM: it takes the
 * image's lock as a worker's job does, says {@code locked}, and waits to be killed.
 *
 * <p>Arguments: run directory, image.
 */
public final class ImageLockingChild {
    private ImageLockingChild() {}

    public static void main(String[] args) throws Exception {
        ImageJobLocks locks = new ImageJobLocks(Path.of(args[0]).resolve("locks"), Duration.ofMinutes(1));
        locks.lock(Path.of(args[1]), Duration.ofMinutes(1));
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10).toMillis());
    }
}
