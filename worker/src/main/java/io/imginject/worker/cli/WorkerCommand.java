package io.imginject.worker.cli;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.Worker;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.chain.RetrySettings;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.handler.guestfs.GuestfsSettings;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.oslo.OsloSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code imginject worker}: takes injection requests for one host until stopped with SIGTERM or SIGINT. */
@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description = {
            "Takes injection requests for this host from RabbitMQ until stopped (SIGTERM or SIGINT finish running jobs first).",
            "Each setting comes from its flag, else the environment (IMGINJECT_<KEY>, e.g. IMGINJECT_IMAGE_ROOT), "
                    + "else the config file (key=value, keys as the flag names without --), else the default; "
                    + "the other commands read the same."
        })
final class WorkerCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    BrokerOption broker;

    @Option(
            names = "--quorum-group-size",
            defaultValue = "" + WorkerConfig.DEFAULT_QUORUM_GROUP_SIZE,
            paramLabel = "N",
            description =
                    "Nodes each new quorum queue is replicated on (default ${DEFAULT-VALUE}; all nodes of a smaller broker).")
    Integer quorumGroupSize;

    @Option(
            names = "--host",
            description = "Host name whose requests to take: queue imginject.<host> (default this machine's name).")
    String host;

    @Option(
            names = "--image-root",
            paramLabel = "DIR",
            split = "\\s*,\\s*",
            splitSynopsisLabel = ",",
            description = "Directory images may be taken from; repeat or separate with commas. Required.")
    List<Path> imageRoots;

    @Option(
            names = "--trusted-image-root",
            paramLabel = "DIR",
            split = "\\s*,\\s*",
            splitSynopsisLabel = ",",
            description =
                    "Directory whose images the host kernel may mount (loop and nbd); repeat or separate with commas. "
                            + "Every other image's filesystem is read by fuse2fs (ext2/3/4) or guestfs (default none).")
    List<Path> trustedImageRoots;

    @Option(
            names = "--fuse-user",
            defaultValue = WorkerConfig.DEFAULT_FUSE_USER,
            paramLabel = "USER",
            description =
                    "Unprivileged user fuse2fs runs as (default ${DEFAULT-VALUE}, which deploy/setup-host makes).")
    String fuseUser;

    @Option(
            names = "--handlers",
            defaultValue = "loop,nbd,guestfs",
            paramLabel = "LIST",
            description = "Enabled handlers in the default order (default ${DEFAULT-VALUE}).")
    String handlers;

    @Option(
            names = "--concurrency",
            defaultValue = "2",
            paramLabel = "N",
            description = "Jobs run at once, and the prefetch (default ${DEFAULT-VALUE}).")
    Integer concurrency;

    @Option(
            names = "--run-dir",
            defaultValue = "/run/imginject",
            paramLabel = "DIR",
            description =
                    "Private directory for mounts and locks, shared by the workers of a host (default ${DEFAULT-VALUE}).")
    Path runDir;

    @Option(
            names = "--dead-letter-key-file",
            defaultValue = DeadLetterKey.DEFAULT_FILE,
            paramLabel = "FILE",
            description = "The key dead letters are sealed with, shared by"
                    + " every worker of the broker and dlq (default ${DEFAULT-VALUE}, which deploy/setup-host makes).")
    Path deadLetterKeyFile;

    @Option(
            names = "--lock-wait",
            defaultValue = "600",
            paramLabel = "SECONDS",
            description = "How long a job waits for another job on the same image (default ${DEFAULT-VALUE}).")
    Integer lockWaitSeconds;

    @Option(
            names = "--command-timeout",
            defaultValue = "120",
            paramLabel = "SECONDS",
            description = "How long one host tool may run (default ${DEFAULT-VALUE}).")
    Integer commandTimeoutSeconds;

    @Option(
            names = "--shutdown-grace",
            defaultValue = "120",
            paramLabel = "SECONDS",
            description = "How long stopping waits for running jobs (default ${DEFAULT-VALUE}).")
    Integer shutdownGraceSeconds;

    @Option(
            names = "--job-timeout",
            defaultValue = "1500",
            paramLabel = "SECONDS",
            description =
                    "How long a job may run, its wait for the image lock included, before its helpers are killed and it fails with job_timeout (default ${DEFAULT-VALUE}).")
    Integer jobTimeoutSeconds;

    @Option(
            names = "--retry-attempts",
            defaultValue = "3",
            paramLabel = "N",
            description = "Tries per handler for transient failures, the first included (default ${DEFAULT-VALUE}).")
    Integer retryAttempts;

    @Option(
            names = "--retry-initial-ms",
            defaultValue = "500",
            paramLabel = "MS",
            description = "Wait before the first retry (default ${DEFAULT-VALUE}).")
    Long retryInitialMs;

    @Option(
            names = "--retry-multiplier",
            defaultValue = "2.0",
            paramLabel = "X",
            description = "Growth of each wait (default ${DEFAULT-VALUE}).")
    Double retryMultiplier;

    @Option(
            names = "--retry-max-interval-ms",
            defaultValue = "5000",
            paramLabel = "MS",
            description = "Longest single wait (default ${DEFAULT-VALUE}).")
    Long retryMaxIntervalMs;

    @Option(
            names = "--retry-max-total-ms",
            defaultValue = "60000",
            paramLabel = "MS",
            description = "No retry starts after this long in the chain (default ${DEFAULT-VALUE}).")
    Long retryMaxTotalMs;

    @Option(
            names = "--nbd-transport",
            defaultValue = "auto",
            paramLabel = "auto|kernel|userspace",
            description = "How nbd reaches images (default ${DEFAULT-VALUE}).")
    String nbdTransport;

    @Option(
            names = "--nbd-ready-timeout",
            defaultValue = "10",
            paramLabel = "SECONDS",
            description = "How long qemu-nbd and nbdfuse may take to come up (default ${DEFAULT-VALUE}).")
    Integer nbdReadyTimeoutSeconds;

    @Option(
            names = "--guestfs-force-tcg",
            defaultValue = "auto",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "auto|true|false",
            description =
                    "Run the appliance without KVM: true, false, or auto (the default): when KVM cannot run a test guest at start.")
    String guestfsForceTcg;

    @Option(
            names = "--guestfs-memory",
            defaultValue = "512",
            paramLabel = "MIB",
            description = "Appliance memory (default ${DEFAULT-VALUE}).")
    Integer guestfsMemoryMib;

    @Option(
            names = "--guestfs-vcpus",
            defaultValue = "2",
            paramLabel = "N",
            description = "Appliance vCPUs (default ${DEFAULT-VALUE}).")
    Integer guestfsVcpus;

    @Option(
            names = "--guestfs-launch-timeout",
            defaultValue = "180",
            paramLabel = "SECONDS",
            description = "How long an appliance launch may take (default ${DEFAULT-VALUE}).")
    Integer guestfsLaunchTimeoutSeconds;

    @Option(
            names = "--max-request-bytes",
            defaultValue = "8388608",
            paramLabel = "BYTES",
            description = "Largest request body taken (default ${DEFAULT-VALUE}).")
    Long maxRequestBytes;

    @Option(
            names = "--max-files",
            defaultValue = "100",
            paramLabel = "N",
            description = "Most files one request may inject (default ${DEFAULT-VALUE}).")
    Integer maxFiles;

    @Option(
            names = "--max-file-bytes-total",
            defaultValue = "4194304",
            paramLabel = "BYTES",
            description = "Most file content one request may inject, summed (default ${DEFAULT-VALUE}).")
    Long maxFileBytesTotal;

    @Option(
            names = "--native",
            defaultValue = "true",
            negatable = true,
            fallbackValue = "true",
            arity = "0..1",
            paramLabel = "true|false",
            description =
                    "Take native v1 requests on imginject.<host> (default ${DEFAULT-VALUE}; --no-native for an oslo-only worker).")
    Boolean nativeDoor;

    @Option(
            names = "--declare",
            negatable = true,
            fallbackValue = "true",
            arity = "0..1",
            paramLabel = "true|false",
            defaultValue = "true",
            description =
                    "Declare the host's exchanges and queues (default ${DEFAULT-VALUE}; --no-declare for a broker loaded from"
                            + " deploy/rabbitmq/definitions.json, where the worker only checks they are there).")
    Boolean declare;

    @Option(
            names = "--broker-consumer-timeout",
            defaultValue = "1800",
            paramLabel = "SECONDS",
            description =
                    "The broker's consumer_timeout (default ${DEFAULT-VALUE}, RabbitMQ's); the worker does not start when a"
                            + " job could hold its delivery longer.")
    Integer brokerConsumerTimeoutSeconds;

    @Option(
            names = "--oslo",
            defaultValue = "false",
            negatable = true,
            fallbackValue = "true",
            arity = "0..1",
            paramLabel = "true|false",
            description = "Also serve oslo.messaging RPC calls, as a nova-compute peer (default ${DEFAULT-VALUE}).")
    Boolean oslo;

    @Option(
            names = "--oslo-exchange",
            defaultValue = "nova",
            paramLabel = "NAME",
            description = "The oslo control exchange (default ${DEFAULT-VALUE}).")
    String osloExchange;

    @Option(
            names = "--oslo-topic",
            defaultValue = OsloSettings.DEFAULT_TOPIC,
            paramLabel = "TOPIC",
            description =
                    "The RPC topic (default ${DEFAULT-VALUE}; compute, nova-compute's own, only with --oslo-no-nova-compute).")
    String osloTopic;

    @Option(
            names = "--oslo-no-nova-compute",
            defaultValue = "false",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description =
                    "Say that no nova-compute runs on this host, which --oslo-topic compute needs (default ${DEFAULT-VALUE}).")
    Boolean osloNoNovaCompute;

    @Option(
            names = "--oslo-server",
            paramLabel = "NAME",
            description = "The RPC server name: queue <topic>.<server> (default the worker's host).")
    String osloServer;

    @Option(
            names = "--oslo-durable",
            defaultValue = "false",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "amqp_durable_queues of the deployment (default ${DEFAULT-VALUE}).")
    Boolean osloDurable;

    @Option(
            names = "--oslo-auto-delete",
            defaultValue = "false",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "amqp_auto_delete of the deployment (default ${DEFAULT-VALUE}).")
    Boolean osloAutoDelete;

    @Option(
            names = "--oslo-quorum",
            defaultValue = "false",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "rabbit_quorum_queue of the deployment (default ${DEFAULT-VALUE}).")
    Boolean osloQuorum;

    @Option(
            names = "--oslo-transient-ttl",
            defaultValue = "1800",
            paramLabel = "SECONDS",
            description = "rabbit_transient_queues_ttl: fanout queue expiry (default ${DEFAULT-VALUE}).")
    Integer osloTransientTtlSeconds;

    @Option(
            names = "--oslo-version",
            defaultValue = "1.0",
            paramLabel = "X.Y",
            description = "Version of the inject_data endpoint (default ${DEFAULT-VALUE}).")
    String osloVersion;

    @Option(
            names = "--http-port",
            defaultValue = "9464",
            paramLabel = "PORT",
            description = "Port of the HTTP server with /metrics, /healthz and /readyz (default ${DEFAULT-VALUE}; 0 for"
                    + " no server).")
    Integer httpPort;

    @Option(
            names = "--http-bind",
            defaultValue = "127.0.0.1",
            paramLabel = "ADDRESS",
            description = "Address the HTTP server listens on (default ${DEFAULT-VALUE}).")
    String httpBind;

    @Override
    public Integer call() throws Exception {
        WorkerConfig workerConfig = config();
        CountDownLatch stopped = new CountDownLatch(1);
        Worker worker = Worker.start(workerConfig);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                worker.close();
                            } catch (Exception e) {
                                System.err.println("stopping the worker failed: " + e);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "shutdown"));
        stopped.await();
        return 0;
    }

    /** The worker's configuration from its options, which picocli took from the flags, environment, file or defaults. */
    WorkerConfig config() {
        if (imageRoots == null || imageRoots.isEmpty()) {
            throw new IllegalArgumentException(
                    "no image root: give --image-root DIR, IMGINJECT_IMAGE_ROOT or image-root in the config file");
        }
        String workerHost = host != null ? host : HostName.local();
        WorkerConfig.Builder builder = WorkerConfig.builder(
                        broker.addresses(), workerHost, imageRoots, handlerList(handlers))
                .brokerTls(broker.tls())
                .quorumGroupSize(quorumGroupSize)
                .trustedImageRoots(trustedImageRoots == null ? List.of() : trustedImageRoots)
                .fuseUser(fuseUser)
                .concurrency(concurrency)
                .runDir(runDir)
                .deadLetterKeyFile(deadLetterKeyFile)
                .lockWait(seconds(lockWaitSeconds))
                .commandTimeout(seconds(commandTimeoutSeconds))
                .shutdownGrace(seconds(shutdownGraceSeconds))
                .jobTimeout(seconds(jobTimeoutSeconds))
                .retry(new RetrySettings(
                        retryAttempts,
                        Duration.ofMillis(retryInitialMs),
                        retryMultiplier,
                        Duration.ofMillis(retryMaxIntervalMs),
                        Duration.ofMillis(retryMaxTotalMs)))
                .nbd(new NbdSettings(transport(nbdTransport), seconds(nbdReadyTimeoutSeconds)))
                .guestfs(new GuestfsSettings(
                        tcgMode(guestfsForceTcg), guestfsMemoryMib, guestfsVcpus, seconds(guestfsLaunchTimeoutSeconds)))
                .limits(new RequestLimits(maxRequestBytes, maxFiles, maxFileBytesTotal))
                .nativeDoor(nativeDoor)
                .declare(declare)
                .brokerConsumerTimeout(seconds(brokerConsumerTimeoutSeconds))
                .httpPort(httpPort)
                .httpBind(httpBind);
        if (oslo) {
            builder.oslo(new OsloSettings(
                    osloExchange,
                    osloTopic,
                    osloServer != null ? osloServer : workerHost,
                    osloDurable,
                    osloAutoDelete,
                    osloQuorum,
                    seconds(osloTransientTtlSeconds),
                    osloVersion,
                    osloNoNovaCompute));
        }
        return builder.build();
    }

    private static Duration seconds(long value) {
        return Duration.ofSeconds(value);
    }

    private static NbdSettings.Transport transport(String name) {
        try {
            return NbdSettings.Transport.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("nbd-transport is auto, kernel or userspace, not \"" + name + "\"");
        }
    }

    private static GuestfsSettings.TcgMode tcgMode(String value) {
        return GuestfsSettings.TcgMode.fromSettingValue(value)
                .orElseThrow(() -> new IllegalArgumentException(
                        "guestfs-force-tcg is auto, true or false, not \"" + value + "\""));
    }

    static List<HandlerName> handlerList(String names) {
        return Arrays.stream(names.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(name -> HandlerName.fromWireName(name)
                        .orElseThrow(() -> new IllegalArgumentException(
                                "unknown handler \"" + name + "\"; the handlers are " + HandlerName.allNames())))
                .toList();
    }
}
