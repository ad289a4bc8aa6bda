package io.imginject.worker;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.imginject.protocol.HandlerName;
import io.imginject.worker.amqp.ConfirmedPublisher;
import io.imginject.worker.amqp.DeadLetterPublisher;
import io.imginject.worker.amqp.FrontDoor;
import io.imginject.worker.amqp.NativeFrontDoor;
import io.imginject.worker.chain.HandlerChain;
import io.imginject.worker.handler.Handlers;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.image.ImageInspector;
import io.imginject.worker.image.ImageLocator;
import io.imginject.worker.image.ImageLocks;
import io.imginject.worker.item.ItemRunner;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.oslo.OsloFrontDoor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running worker: wires the parts together from a {@link WorkerConfig} and consumes through its front doors
 * (native v1, oslo.messaging, or both, sharing one job runner and one pool of job threads) until closed.
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final WorkerConfig config;
    private final Connection consuming;
    private final Connection publishing;
    private final ExecutorService jobs;
    private final ScheduledExecutorService heartbeats;
    private final ConfirmedPublisher publisher;
    private final List<FrontDoor> doors;

    private Worker(WorkerConfig config, Connection consuming, Connection publishing, ExecutorService jobs,
            ScheduledExecutorService heartbeats, ConfirmedPublisher publisher, List<FrontDoor> doors) {
        this.config = config;
        this.consuming = consuming;
        this.publishing = publishing;
        this.jobs = jobs;
        this.heartbeats = heartbeats;
        this.publisher = publisher;
        this.doors = doors;
    }

    /** Builds the worker, connects, declares its topology and starts consuming. */
    public static Worker start(WorkerConfig config) throws IOException, TimeoutException {
        return start(config, UnaryOperator.identity());
    }

    /**
     * As {@link #start(WorkerConfig)}, with every handler passed through {@code decorate} first: the seam through
     * which tests put a fault in front of a real handler.
     */
    public static Worker start(WorkerConfig config, UnaryOperator<ImageHandler> decorate) throws IOException, TimeoutException {
        JobRunner runner = jobRunner(config, decorate);
        ConnectionFactory factory = connectionFactory(config);
        Connection consuming = factory.newConnection("imginject-worker-" + config.host() + "-consume");
        Connection publishing = null;
        ExecutorService jobs = Executors.newFixedThreadPool(config.concurrency(), threads("job"));
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(threads("oslo-heartbeat"));
        try {
            publishing = factory.newConnection("imginject-worker-" + config.host() + "-publish");
            ConfirmedPublisher publisher = new ConfirmedPublisher(publishing, CONFIRM_TIMEOUT);
            DeadLetterPublisher deadLetters = new DeadLetterPublisher(publisher, config.host(), Clock.systemUTC());
            List<FrontDoor> doors = new ArrayList<>();
            if (config.nativeDoor()) {
                doors.add(new NativeFrontDoor(consuming.createChannel(), config.host(), config.concurrency(), jobs, runner, publisher, deadLetters));
            }
            if (config.oslo().isPresent()) {
                doors.add(new OsloFrontDoor(consuming.createChannel(), config.oslo().get(), config.concurrency(), jobs, runner, publisher,
                        deadLetters, heartbeats));
            }
            for (FrontDoor door : doors) {
                door.start();
            }
            log.info("worker for host {} ready: handlers {}, concurrency {}, image roots {}", config.host(), config.handlers(),
                    config.concurrency(), config.imageRoots());
            return new Worker(config, consuming, publishing, jobs, heartbeats, publisher, doors);
        } catch (IOException | RuntimeException e) {
            jobs.shutdownNow();
            heartbeats.shutdownNow();
            consuming.abort();
            if (publishing != null) {
                publishing.abort();
            }
            throw e;
        }
    }

    private static JobRunner jobRunner(WorkerConfig config, UnaryOperator<ImageHandler> decorate) throws IOException {
        Path workBase = privateDirectory(config.runDir().resolve("work"));
        Path lockDirectory = privateDirectory(config.runDir().resolve("locks"));
        ProcessRunner processes = new ProcessRunner(config.commandTimeout());
        Map<HandlerName, ImageHandler> handlers = new EnumMap<>(HandlerName.class);
        Handlers.enabled(config, processes, workBase).forEach((name, handler) -> handlers.put(name, decorate.apply(handler)));
        ImageLocator locator = new ImageLocator(config.imageRoots());
        return new JobRunner(config.host(), locator, new ImageInspector(processes, locator),
                new ImageLocks(lockDirectory, config.lockWait()), new HandlerChain(handlers, config.handlers(), config.retry()),
                new ItemRunner(Clock.systemUTC()));
    }

    private static ConnectionFactory connectionFactory(WorkerConfig config) {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(config.amqpUri());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad AMQP URI: " + e.getMessage(), e);
        }
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        factory.setRequestedHeartbeat(30);
        return factory;
    }

    private static java.util.concurrent.ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(name.endsWith("heartbeat"));
            return thread;
        };
    }

    private static Path privateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        return directory;
    }

    /** Stops taking requests, lets running jobs finish within the grace period, then disconnects. */
    @Override
    public void close() throws IOException {
        doors.forEach(FrontDoor::stop);
        jobs.shutdown();
        try {
            if (!jobs.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("jobs still running after {} s; their requests go back to the queue", config.shutdownGrace().toSeconds());
                jobs.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            jobs.shutdownNow();
        }
        heartbeats.shutdownNow();
        publisher.close();
        consuming.close();
        publishing.close();
        log.info("worker for host {} stopped", config.host());
    }
}
