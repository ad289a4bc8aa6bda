package io.imginject.worker;

import io.imginject.protocol.HandlerName;
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
 */
public record WorkerConfig(URI amqpUri, String host, List<Path> imageRoots, List<HandlerName> handlers, int concurrency,
        Path runDir, Duration lockWait, Duration commandTimeout, Duration shutdownGrace) {

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
