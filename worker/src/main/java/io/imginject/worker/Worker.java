package io.imginject.worker;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.imginject.protocol.HandlerName;
import io.imginject.worker.amqp.ConfirmedPublisher;
import io.imginject.worker.amqp.DeadLetterPublisher;
import io.imginject.worker.amqp.NativeFrontDoor;
import io.imginject.worker.chain.HandlerChain;
import io.imginject.worker.disk.FilesystemProbe;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.RawDiskMounter;
import io.imginject.worker.handler.loop.LoopHandler;
import io.imginject.worker.handler.loop.LoopSupport;
import io.imginject.worker.host.LoopDevices;
import io.imginject.worker.host.Mounts;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.image.FormatDetector;
import io.imginject.worker.image.ImageLocator;
import io.imginject.worker.image.ImageLocks;
import io.imginject.worker.item.ItemRunner;
import io.imginject.worker.job.JobRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running worker: wires the parts together from a {@link WorkerConfig}, consumes until closed. */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final WorkerConfig config;
    private final Connection consuming;
    private final Connection publishing;
    private final ExecutorService jobs;
    private final ConfirmedPublisher publisher;
    private final NativeFrontDoor frontDoor;

    private Worker(WorkerConfig config, Connection consuming, Connection publishing, ExecutorService jobs,
            ConfirmedPublisher publisher, NativeFrontDoor frontDoor) {
        this.config = config;
        this.consuming = consuming;
        this.publishing = publishing;
        this.jobs = jobs;
        this.publisher = publisher;
        this.frontDoor = frontDoor;
    }

    /** Builds the worker, connects, declares the host's topology and starts consuming. */
    public static Worker start(WorkerConfig config) throws IOException, TimeoutException {
        JobRunner runner = jobRunner(config);
        ConnectionFactory factory = connectionFactory(config);
        Connection consuming = factory.newConnection("imginject-worker-" + config.host() + "-consume");
        Connection publishing = null;
        try {
            publishing = factory.newConnection("imginject-worker-" + config.host() + "-publish");
            ExecutorService jobs = Executors.newFixedThreadPool(config.concurrency(), jobThreads());
            ConfirmedPublisher publisher = new ConfirmedPublisher(publishing, CONFIRM_TIMEOUT);
            NativeFrontDoor frontDoor = new NativeFrontDoor(consuming.createChannel(), config.host(), config.concurrency(), jobs,
                    runner, publisher, new DeadLetterPublisher(publisher, config.host(), Clock.systemUTC()));
            frontDoor.start();
            log.info("worker for host {} ready: handlers {}, concurrency {}, image roots {}", config.host(), config.handlers(),
                    config.concurrency(), config.imageRoots());
            return new Worker(config, consuming, publishing, jobs, publisher, frontDoor);
        } catch (IOException | RuntimeException e) {
            consuming.abort();
            if (publishing != null) {
                publishing.abort();
            }
            throw e;
        }
    }

    /** The job runner a worker with {@code config} uses; tests and the CLI's one-shot paths use it directly. */
    public static JobRunner jobRunner(WorkerConfig config) throws IOException {
        Path mountBase = privateDirectory(config.runDir().resolve("mnt"));
        Path lockDirectory = privateDirectory(config.runDir().resolve("locks"));
        ProcessRunner processes = new ProcessRunner(config.commandTimeout());
        RawDiskMounter mounter = new RawDiskMounter(new FilesystemProbe(processes), new LoopDevices(processes), new Mounts(processes), mountBase);
        Map<HandlerName, ImageHandler> handlers = new EnumMap<>(HandlerName.class);
        for (HandlerName name : config.handlers()) {
            handlers.put(name, switch (name) {
                case LOOP -> new LoopHandler(mounter, LoopSupport.problem());
                case NBD, GUESTFS -> throw new IllegalArgumentException("the " + name + " handler is not available in this build");
            });
        }
        return new JobRunner(config.host(), new ImageLocator(config.imageRoots()), new FormatDetector(processes),
                new ImageLocks(lockDirectory, config.lockWait()), new HandlerChain(handlers, config.handlers()),
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

    private static java.util.concurrent.ThreadFactory jobThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> new Thread(runnable, "job-" + count.incrementAndGet());
    }

    private static Path privateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        return directory;
    }

    /** Stops taking requests, lets running jobs finish within the grace period, then disconnects. */
    @Override
    public void close() throws IOException {
        frontDoor.stop();
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
        publisher.close();
        consuming.close();
        publishing.close();
        log.info("worker for host {} stopped", config.host());
    }
}
