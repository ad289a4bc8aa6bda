package io.imginject.worker;

import io.imginject.protocol.HandlerName;
import io.imginject.worker.chain.RetrySettings;
import io.imginject.worker.handler.guestfs.GuestfsSettings;
import io.imginject.worker.handler.nbd.NbdSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a worker needs to run.
 *
 * @param amqpUri the broker, e.g. {@code amqp://guest:guest@127.0.0.1:5672/%2f}
 * @param host the host name this worker serves (its queue is {@code imginject.<host>})
 * @param imageRoots the only directories images are taken from
 * @param handlers the enabled handlers, in the default order
 * @param concurrency jobs run at once, and the prefetch
 * @param runDir private working directory for mounts and locks; shared by the workers of one host
 * @param lockWait how long a job waits for another job on the same image
 * @param commandTimeout how long one host tool may run
 * @param shutdownGrace how long stopping waits for running jobs
 * @param retry how the handler chain retries transient failures
 * @param nbd how the nbd handler reaches images
 * @param guestfs how the guestfs appliance starts
 */
public record WorkerConfig(URI amqpUri, String host, List<Path> imageRoots, List<HandlerName> handlers, int concurrency,
        Path runDir, Duration lockWait, Duration commandTimeout, Duration shutdownGrace, RetrySettings retry, NbdSettings nbd,
        GuestfsSettings guestfs) {

    /** A config with the defaults for everything but where the broker, the host, the images and the handlers are. */
    public static WorkerConfig of(URI amqpUri, String host, List<Path> imageRoots, List<HandlerName> handlers) {
        return new WorkerConfig(amqpUri, host, imageRoots, handlers, 2, Path.of("/run/imginject"), Duration.ofMinutes(10),
                Duration.ofMinutes(2), Duration.ofMinutes(2), RetrySettings.DEFAULT, NbdSettings.DEFAULT, GuestfsSettings.DEFAULT);
    }

    public WorkerConfig withConcurrency(int newConcurrency) {
        return new WorkerConfig(amqpUri, host, imageRoots, handlers, newConcurrency, runDir, lockWait, commandTimeout, shutdownGrace, retry, nbd, guestfs);
    }

    public WorkerConfig withRunDir(Path newRunDir) {
        return new WorkerConfig(amqpUri, host, imageRoots, handlers, concurrency, newRunDir, lockWait, commandTimeout, shutdownGrace, retry, nbd, guestfs);
    }

    public WorkerConfig withRetry(RetrySettings newRetry) {
        return new WorkerConfig(amqpUri, host, imageRoots, handlers, concurrency, runDir, lockWait, commandTimeout, shutdownGrace, newRetry, nbd, guestfs);
    }

    public WorkerConfig withNbd(NbdSettings newNbd) {
        return new WorkerConfig(amqpUri, host, imageRoots, handlers, concurrency, runDir, lockWait, commandTimeout, shutdownGrace, retry, newNbd, guestfs);
    }

    public WorkerConfig withGuestfs(GuestfsSettings newGuestfs) {
        return new WorkerConfig(amqpUri, host, imageRoots, handlers, concurrency, runDir, lockWait, commandTimeout, shutdownGrace, retry, nbd, newGuestfs);
    }

    public WorkerConfig {
        imageRoots = List.copyOf(imageRoots);
        handlers = List.copyOf(handlers);
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        if (handlers.isEmpty()) {
            throw new IllegalArgumentException("at least one handler must be enabled");
        }
        if (imageRoots.isEmpty()) {
            throw new IllegalArgumentException("at least one image root is needed");
        }
        io.imginject.protocol.Wire.problemWithHost(host).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
    }
}
