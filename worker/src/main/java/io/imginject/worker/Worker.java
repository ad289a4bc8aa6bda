package io.imginject.worker;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.imginject.protocol.BrokerConnectException;
import io.imginject.protocol.BrokerConnector;
import io.imginject.protocol.HandlerName;
import io.imginject.worker.broker.ConfirmedPublisher;
import io.imginject.worker.broker.QuorumQueues;
import io.imginject.worker.chain.HandlerChain;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.deadletter.DeadLetterPublisher;
import io.imginject.worker.deadletter.DeadLetterSeal;
import io.imginject.worker.deadletter.ReplayCount;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.host.CrashRecovery;
import io.imginject.worker.host.HeldResource;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.ReleaseTools;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.image.ImageInspector;
import io.imginject.worker.image.ImageJobLocks;
import io.imginject.worker.image.ImageLocator;
import io.imginject.worker.item.ItemRunner;
import io.imginject.worker.job.JobRunner;
import io.imginject.worker.metrics.PrometheusMetrics;
import io.imginject.worker.metrics.WorkerMetrics;
import io.imginject.worker.oslo.OsloDoors;
import io.imginject.worker.pipeline.Deliveries;
import io.imginject.worker.pipeline.FrontDoor;
import io.imginject.worker.pipeline.KeptReplies;
import io.imginject.worker.status.Readiness;
import io.imginject.worker.status.StatusServer;
import io.imginject.worker.status.WritableDirectory;
import io.imginject.worker.v1.DeadLetteringProbe;
import io.imginject.worker.v1.HostObjects;
import io.imginject.worker.v1.NativeDoors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A running worker: wires the parts together from a {@link WorkerConfig} and consumes through its front doors
 * (native v1, oslo.messaging, or both, sharing one job runner and one pool of job threads) until closed.
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REPLIES_KEPT = Duration.ofDays(1);

    private static final Duration CLEANUP_AFTER_INTERRUPT = Duration.ofSeconds(60);

    private final WorkerConfig config;
    private final Connection consuming;
    private final Connection publishing;
    private final ExecutorService jobs;
    private final ScheduledExecutorService scheduler;
    private final ConfirmedPublisher publisher;
    private final List<FrontDoor> doors;
    private final ResourceJournal journal;
    private final Readiness readiness;
    private final Optional<StatusServer> status;
    private final PrometheusMetrics metrics;

    private Worker(
            WorkerConfig config,
            Connection consuming,
            Connection publishing,
            ExecutorService jobs,
            ScheduledExecutorService scheduler,
            ConfirmedPublisher publisher,
            List<FrontDoor> doors,
            ResourceJournal journal,
            Readiness readiness,
            Optional<StatusServer> status,
            PrometheusMetrics metrics) {
        this.config = config;
        this.consuming = consuming;
        this.publishing = publishing;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.publisher = publisher;
        this.doors = doors;
        this.journal = journal;
        this.readiness = readiness;
        this.status = status;
        this.metrics = metrics;
    }

    /**
     * Checks that no job can outlast the broker's consumer timeout ({@link DeliveryHold}), reads the dead-letter key
     * (a worker that cannot seal its dead letters does not start), starts its HTTP server (not ready yet), cleans up
     * after dead predecessors, builds the worker, connects, declares its topology and proves the broker dead-letters
     * from it (or, with no-declare, checks that the operator's definitions put it there) and starts consuming; from
     * then on it is ready while connected, consuming and able to write its run directory.
     */
    public static Worker start(WorkerConfig config) throws IOException, TimeoutException {
        return start(config, UnaryOperator.identity());
    }

    /**
     * As {@link #start(WorkerConfig)}, with every handler passed through {@code decorate} first: the seam through
     * which tests put a fault in front of a real handler.
     */
    public static Worker start(WorkerConfig config, UnaryOperator<ImageHandler> decorate)
            throws IOException, TimeoutException {
        DeliveryHold.check(config);
        DeadLetterKey deadLetterKey = DeadLetterKey.load(config.deadLetterKeyFile());
        PrometheusMetrics metrics = new PrometheusMetrics();
        Readiness readiness = new Readiness();
        Optional<StatusServer> status = Optional.empty();
        Connection consuming;
        try {
            if (config.httpPort() != 0) {
                status = Optional.of(StatusServer.start(
                        new InetSocketAddress(config.httpBind(), config.httpPort()), metrics, readiness));
            }
            consuming = connect(config, metrics.worker(), "consume");
        } catch (IOException | RuntimeException e) {
            status.ifPresent(StatusServer::close);
            metrics.close();
            throw e;
        }
        Connection publishing = null;
        ResourceJournal journal = null;
        ExecutorService jobs = Executors.newFixedThreadPool(config.concurrency(), jobThreads(config.host()));
        ScheduledExecutorService scheduler = scheduler();
        try {
            publishing = connect(config, metrics.worker(), "publish");
            ProcessRunner processes = new ProcessRunner(config.commandTimeout());
            passableDirectory(config.runDir());
            privateDirectory(CrashRecovery.journals(config.runDir()));
            CrashRecovery recovery = new CrashRecovery(processes, config.runDir(), metrics.worker());
            List<HeldResource> recovered = recovery.recoverDeadWorkers();
            if (!recovered.isEmpty()) {
                log.warn("released {} host resources that crashed workers left behind", recovered.size());
            }
            journal = ResourceJournal.open(CrashRecovery.journals(config.runDir()));
            JobRunner runner = jobRunner(config, decorate, processes, journal, recovery, scheduler, metrics.worker());
            KeptReplies keptReplies = new KeptReplies(
                    privateDirectory(config.runDir().resolve("results")),
                    REPLIES_KEPT,
                    Clock.systemUTC(),
                    metrics.worker());
            keptReplies.prune();
            ConfirmedPublisher publisher = new ConfirmedPublisher(publishing, CONFIRM_TIMEOUT);
            ReplayCount replays = new ReplayCount(deadLetterKey);
            DeadLetterPublisher deadLetters = new DeadLetterPublisher(
                    publisher, config.host(), Clock.systemUTC(), new DeadLetterSeal(deadLetterKey), replays);
            Deliveries deliveries = new Deliveries(
                    keptReplies,
                    new SharedLocks(privateDirectory(config.runDir().resolve("claims"))),
                    config.jobTimeout().plus(DeliveryHold.CLAIM_MARGIN),
                    deadLetters,
                    replays,
                    scheduler,
                    metrics.worker());
            List<FrontDoor> doors = new ArrayList<>();
            if (config.nativeDoor()) {
                HostObjects hostObjects = config.declare()
                        ? new HostObjects.Declared(new QuorumQueues(config.quorumGroupSize()))
                        : new HostObjects.Checked();
                if (config.declare()) {
                    DeadLetteringProbe.check(consuming);
                }
                doors.add(NativeDoors.requests(
                        deliveries,
                        consuming.createChannel(),
                        config.host(),
                        hostObjects,
                        config.concurrency(),
                        jobs,
                        runner,
                        publisher,
                        config.limits(),
                        Clock.systemUTC()));
                doors.add(NativeDoors.unanswered(
                        deliveries, consuming.createChannel(), config.host(), hostObjects, publisher));
            }
            if (config.oslo().isPresent()) {
                doors.add(OsloDoors.rpcServer(
                        deliveries,
                        consuming.createChannel(),
                        config.oslo().get(),
                        config.concurrency(),
                        jobs,
                        runner,
                        publisher,
                        config.limits(),
                        scheduler));
            }
            for (FrontDoor door : doors) {
                door.start();
            }
            readiness.started(readinessChecks(consuming, publishing, doors, config.runDir()));
            // An exception out of a fixed-rate task cancels its later runs without a word: one failed pass is logged
            // and the next one runs. The future is not needed: close() shuts the scheduler down.
            ScheduledFuture<?> unused = scheduler.scheduleAtFixedRate(
                    () -> {
                        try {
                            keptReplies.prune();
                        } catch (RuntimeException e) {
                            log.warn("could not prune kept replies; trying again in an hour", e);
                        }
                    },
                    1,
                    1,
                    TimeUnit.HOURS);
            log.info(
                    "worker for host {} ready: handlers {}, concurrency {}, image roots {}",
                    config.host(),
                    config.handlers(),
                    config.concurrency(),
                    config.imageRoots());
            return new Worker(
                    config,
                    consuming,
                    publishing,
                    jobs,
                    scheduler,
                    publisher,
                    doors,
                    journal,
                    readiness,
                    status,
                    metrics);
        } catch (IOException | RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            status.ifPresent(StatusServer::close);
            metrics.close();
            jobs.shutdownNow();
            scheduler.shutdownNow();
            consuming.abort();
            if (publishing != null) {
                publishing.abort();
            }
            throw e;
        }
    }

    /** One of the worker's two broker connections, followed by the metrics; a worker without it exits. */
    private static Connection connect(WorkerConfig config, WorkerMetrics metrics, String role) throws IOException {
        BrokerConnector broker = new BrokerConnector(config.broker(), config.brokerTls());
        try {
            Connection connection =
                    broker.connect(connectionFactory(broker), "imginject-worker-" + config.host() + "-" + role);
            metrics.watchConnection(role, connection);
            return connection;
        } catch (BrokerConnectException e) {
            throw new IOException(
                    e.getMessage() + " (the worker exits; run it under a supervisor that restarts it)", e);
        }
    }

    /** What the worker needs to take work, once started: the broker, every door consuming, a writable run directory. */
    private static List<Readiness.Check> readinessChecks(
            Connection consuming, Connection publishing, List<FrontDoor> doors, Path runDir) {
        List<Readiness.Check> checks = new ArrayList<>();
        checks.add(new Readiness.Check(
                "not connected to the broker (the client reconnects)",
                () -> consuming.isOpen() && publishing.isOpen()));
        for (FrontDoor door : doors) {
            checks.add(new Readiness.Check("not consuming " + door.what(), door::consuming));
        }
        checks.add(new Readiness.Check(
                "cannot write the run directory " + runDir + " (read-only or full?)", new WritableDirectory(runDir)));
        return checks;
    }

    private static JobRunner jobRunner(
            WorkerConfig config,
            UnaryOperator<ImageHandler> decorate,
            ProcessRunner processes,
            ResourceJournal journal,
            CrashRecovery recovery,
            ScheduledExecutorService scheduler,
            WorkerMetrics metrics)
            throws IOException {
        Path workBase = privateDirectory(config.runDir().resolve("work"));
        Path lockDirectory = privateDirectory(config.runDir().resolve("locks"));
        Path fuseBase = passableDirectory(config.runDir().resolve("fuse"));
        Map<HandlerName, ImageHandler> handlers = new EnumMap<>(HandlerName.class);
        HostResources resources = new HostResources(journal, new ReleaseTools(processes, config.runDir()));
        EnabledHandlers.enabled(config, processes, workBase, fuseBase, resources)
                .forEach((name, handler) -> handlers.put(name, decorate.apply(handler)));
        ImageLocator locator = new ImageLocator(config.imageRoots());
        return new JobRunner(
                config.host(),
                locator,
                new ImageInspector(processes, locator),
                new ImageJobLocks(lockDirectory, config.lockWait()),
                new HandlerChain(handlers, config.handlers(), config.retry()),
                new ItemRunner(Clock.systemUTC()),
                recovery,
                config.jobTimeout(),
                scheduler,
                metrics);
    }

    private static ConnectionFactory connectionFactory(BrokerConnector broker) {
        ConnectionFactory factory = broker.factory();
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        factory.setRequestedHeartbeat(30);
        return factory;
    }

    /**
     * One thread for the worker's timers. Cancelled tasks leave its queue at once: every job schedules its deadline
     * (half an hour ahead by default) and cancels it when done, and the cancelled ones must not pile up.
     */
    private static ScheduledExecutorService scheduler() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, threads("scheduler"));
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }

    /** The log field (MDC key) of the worker's host, on every line a job thread logs. */
    static final String HOST_LOG_FIELD = "host";

    /** The threads that run jobs, whose every log line carries the worker's host. */
    private static ThreadFactory jobThreads(String host) {
        ThreadFactory threads = threads("job");
        return runnable -> threads.newThread(() -> {
            MDC.put(HOST_LOG_FIELD, host);
            runnable.run();
        });
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(name.equals("scheduler"));
            return thread;
        };
    }

    /**
     * A directory others may pass through but not list (0711), as the run directory itself is: fuse2fs's user
     * reaches its own mount point, named at random, below it, and nothing else.
     */
    private static Path passableDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        return directory;
    }

    private static Path privateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        return directory;
    }

    /**
     * Stops gracefully: takes no more requests (those taken but not started go back to the queue), lets running
     * jobs finish, reply and ack within the grace period, then interrupts what still runs: such a job releases its
     * mounts and devices, and its request goes back to the queue unanswered, to run again. Then disconnects.
     */
    @Override
    public void close() throws IOException {
        readiness.draining();
        doors.forEach(FrontDoor::stop);
        jobs.shutdown();
        try {
            if (!jobs.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn(
                        "jobs still running after {} s; interrupting them, their requests go back to the queue",
                        config.shutdownGrace().toSeconds());
                jobs.shutdownNow();
                if (!jobs.awaitTermination(CLEANUP_AFTER_INTERRUPT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.error(
                            "jobs did not stop within {} s of being interrupted; the next start cleans up what they hold",
                            CLEANUP_AFTER_INTERRUPT.toSeconds());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            jobs.shutdownNow();
        }
        scheduler.shutdownNow();
        publisher.close();
        consuming.close();
        publishing.close();
        if (jobs.isTerminated()) {
            journal.close();
        }
        status.ifPresent(StatusServer::close);
        metrics.close();
        log.info("worker for host {} stopped", config.host());
    }
}
