package io.imginject.worker.cli;

import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.BrokerTls;
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
import picocli.CommandLine.Option;

/** {@code imginject worker}: takes injection requests for one host until stopped with SIGTERM or SIGINT. */
@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description = {
            "Takes injection requests for this host from RabbitMQ until stopped (SIGTERM or SIGINT finish running jobs first).",
            "Each setting comes from its flag, else the environment (IMGINJECT_<KEY>, e.g. IMGINJECT_IMAGE_ROOT), "
                    + "else the config file (key=value, keys as the flag names without --), else the default."
        })
final class WorkerCommand implements Callable<Integer> {
    static final String DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/%2f";
    /** The default URI with its % escaped for picocli's help formatting. */
    static final String DEFAULT_AMQP_URI_IN_HELP = "amqp://guest:guest@127.0.0.1:5672/%%2f";

    static final String DEFAULT_HANDLERS = "loop,nbd,guestfs";

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Properties file with settings (default " + SettingSources.DEFAULT_FILE + " if present).")
    Path config;

    @Option(
            names = "--amqp-uri",
            paramLabel = "URI",
            description = "Broker URI (default " + DEFAULT_AMQP_URI_IN_HELP + "); "
                    + "a cluster's nodes as several URIs separated by commas, tried in order.")
    String amqpUri;

    @Option(
            names = "--amqp-tls-ca-file",
            paramLabel = "FILE",
            description = "PEM CA certificates an amqps broker's certificate is verified against"
                    + " (default the JVM's trusted CAs).")
    Path amqpTlsCaFile;

    @Option(
            names = "--amqp-tls-cert-file",
            paramLabel = "FILE",
            description = "PEM client certificate (chain) for amqps, with --amqp-tls-key-file.")
    Path amqpTlsCertFile;

    @Option(
            names = "--amqp-tls-key-file",
            paramLabel = "FILE",
            description = "The client certificate's private key: PEM, PKCS#8, unencrypted.")
    Path amqpTlsKeyFile;

    @Option(
            names = "--amqp-tls-verify-hostname",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "Require the broker's certificate to name the host in the URI (default true).")
    Boolean amqpTlsVerifyHostname;

    @Option(
            names = "--quorum-group-size",
            paramLabel = "N",
            description = "Nodes each new quorum queue is replicated on (default "
                    + WorkerConfig.DEFAULT_QUORUM_GROUP_SIZE + "; all nodes of a smaller broker).")
    Integer quorumGroupSize;

    @Option(
            names = "--host",
            description = "Host name whose requests to take: queue imginject.<host> (default this machine's name).")
    String host;

    @Option(
            names = "--image-root",
            paramLabel = "DIR",
            split = ",",
            description = "Directory images may be taken from; repeat or separate with commas. Required.")
    List<Path> imageRoots;

    @Option(
            names = "--trusted-image-root",
            paramLabel = "DIR",
            split = ",",
            description =
                    "Directory whose images the host kernel may mount (loop and nbd); repeat or separate with commas. "
                            + "Every other image's filesystem is read by fuse2fs (ext2/3/4) or guestfs (default none).")
    List<Path> trustedImageRoots;

    @Option(
            names = "--fuse-user",
            paramLabel = "USER",
            description = "Unprivileged user fuse2fs runs as (default " + WorkerConfig.DEFAULT_FUSE_USER
                    + ", which deploy/setup-host makes).")
    String fuseUser;

    @Option(
            names = "--handlers",
            paramLabel = "LIST",
            description = "Enabled handlers in the default order (default " + DEFAULT_HANDLERS + ").")
    String handlers;

    @Option(names = "--concurrency", paramLabel = "N", description = "Jobs run at once, and the prefetch (default 2).")
    Integer concurrency;

    @Option(
            names = "--run-dir",
            paramLabel = "DIR",
            description =
                    "Private directory for mounts and locks, shared by the workers of a host (default /run/imginject).")
    Path runDir;

    @Option(
            names = "--dead-letter-key-file",
            paramLabel = "FILE",
            description =
                    "The key dead letters are sealed with, shared by" + " every worker of the broker and dlq (default "
                            + DeadLetterKey.DEFAULT_FILE + ", which deploy/setup-host makes).")
    Path deadLetterKeyFile;

    @Option(
            names = "--lock-wait",
            paramLabel = "SECONDS",
            description = "How long a job waits for another job on the same image (default 600).")
    Integer lockWaitSeconds;

    @Option(
            names = "--command-timeout",
            paramLabel = "SECONDS",
            description = "How long one host tool may run (default 120).")
    Integer commandTimeoutSeconds;

    @Option(
            names = "--shutdown-grace",
            paramLabel = "SECONDS",
            description = "How long stopping waits for running jobs (default 120).")
    Integer shutdownGraceSeconds;

    @Option(
            names = "--job-timeout",
            paramLabel = "SECONDS",
            description =
                    "How long a job may run, its wait for the image lock included, before its helpers are killed and it fails with job_timeout (default 1800).")
    Integer jobTimeoutSeconds;

    @Option(
            names = "--retry-attempts",
            paramLabel = "N",
            description = "Tries per handler for transient failures, the first included (default 3).")
    Integer retryAttempts;

    @Option(names = "--retry-initial-ms", paramLabel = "MS", description = "Wait before the first retry (default 500).")
    Long retryInitialMs;

    @Option(names = "--retry-multiplier", paramLabel = "X", description = "Growth of each wait (default 2.0).")
    Double retryMultiplier;

    @Option(names = "--retry-max-interval-ms", paramLabel = "MS", description = "Longest single wait (default 5000).")
    Long retryMaxIntervalMs;

    @Option(
            names = "--retry-max-total-ms",
            paramLabel = "MS",
            description = "No retry starts after this long in the chain (default 60000).")
    Long retryMaxTotalMs;

    @Option(
            names = "--nbd-transport",
            paramLabel = "auto|kernel|userspace",
            description = "How nbd reaches images (default auto).")
    String nbdTransport;

    @Option(
            names = "--nbd-ready-timeout",
            paramLabel = "SECONDS",
            description = "How long qemu-nbd and nbdfuse may take to come up (default 10).")
    Integer nbdReadyTimeoutSeconds;

    @Option(
            names = "--guestfs-force-tcg",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "auto|true|false",
            description =
                    "Run the appliance without KVM: true, false, or auto (the default): when KVM cannot run a test guest at start.")
    String guestfsForceTcg;

    @Option(names = "--guestfs-memory", paramLabel = "MIB", description = "Appliance memory (default 512).")
    Integer guestfsMemoryMib;

    @Option(names = "--guestfs-vcpus", paramLabel = "N", description = "Appliance vCPUs (default 2).")
    Integer guestfsVcpus;

    @Option(
            names = "--guestfs-launch-timeout",
            paramLabel = "SECONDS",
            description = "How long an appliance launch may take (default 180).")
    Integer guestfsLaunchTimeoutSeconds;

    @Option(
            names = "--max-request-bytes",
            paramLabel = "BYTES",
            description = "Largest request body taken (default 8388608).")
    Long maxRequestBytes;

    @Option(names = "--max-files", paramLabel = "N", description = "Most files one request may inject (default 100).")
    Integer maxFiles;

    @Option(
            names = "--max-file-bytes-total",
            paramLabel = "BYTES",
            description = "Most file content one request may inject, summed (default 4194304).")
    Long maxFileBytesTotal;

    @Option(
            names = "--native",
            negatable = true,
            fallbackValue = "true",
            arity = "0..1",
            paramLabel = "true|false",
            description =
                    "Take native v1 requests on imginject.<host> (default true; --no-native for an oslo-only worker).")
    Boolean nativeDoor;

    @Option(
            names = "--oslo",
            negatable = true,
            fallbackValue = "true",
            arity = "0..1",
            paramLabel = "true|false",
            description = "Also serve oslo.messaging RPC calls, as a nova-compute peer (default false).")
    Boolean oslo;

    @Option(names = "--oslo-exchange", paramLabel = "NAME", description = "The oslo control exchange (default nova).")
    String osloExchange;

    @Option(
            names = "--oslo-topic",
            paramLabel = "TOPIC",
            description = "The RPC topic (default " + OsloSettings.DEFAULT_TOPIC
                    + "; compute, nova-compute's own, only with --oslo-no-nova-compute).")
    String osloTopic;

    @Option(
            names = "--oslo-no-nova-compute",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description =
                    "Say that no nova-compute runs on this host, which --oslo-topic compute needs (default false).")
    Boolean osloNoNovaCompute;

    @Option(
            names = "--oslo-server",
            paramLabel = "NAME",
            description = "The RPC server name: queue <topic>.<server> (default the worker's host).")
    String osloServer;

    @Option(
            names = "--oslo-durable",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "amqp_durable_queues of the deployment (default false).")
    Boolean osloDurable;

    @Option(
            names = "--oslo-auto-delete",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "amqp_auto_delete of the deployment (default false).")
    Boolean osloAutoDelete;

    @Option(
            names = "--oslo-quorum",
            arity = "0..1",
            fallbackValue = "true",
            paramLabel = "true|false",
            description = "rabbit_quorum_queue of the deployment (default false).")
    Boolean osloQuorum;

    @Option(
            names = "--oslo-transient-ttl",
            paramLabel = "SECONDS",
            description = "rabbit_transient_queues_ttl: fanout queue expiry (default 1800).")
    Integer osloTransientTtlSeconds;

    @Option(
            names = "--oslo-version",
            paramLabel = "X.Y",
            description = "Version of the inject_data endpoint (default 1.0).")
    String osloVersion;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description = "Port of the HTTP server with /metrics, /healthz and /readyz (default "
                    + WorkerConfig.DEFAULT_HTTP_PORT + "; 0 for no server).")
    Integer httpPort;

    @Option(
            names = "--http-bind",
            paramLabel = "ADDRESS",
            description = "Address the HTTP server listens on (default " + WorkerConfig.DEFAULT_HTTP_BIND + ").")
    String httpBind;

    @Override
    public Integer call() throws Exception {
        WorkerConfig workerConfig = config(SettingSources.load(config, System.getenv()));
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

    WorkerConfig config(SettingSources settings) {
        String roots = settings.get("image-root", joined(imageRoots))
                .orElseThrow(() -> new IllegalArgumentException(
                        "no image root: give --image-root DIR, IMGINJECT_IMAGE_ROOT or image-root in the config file"));
        String workerHost = settings.get("host", host, HostName.local());
        WorkerConfig.Builder builder = WorkerConfig.builder(
                        BrokerAddresses.parse(settings.get("amqp-uri", amqpUri, DEFAULT_AMQP_URI)),
                        workerHost,
                        paths(roots),
                        handlerList(settings.get("handlers", handlers, DEFAULT_HANDLERS)))
                .brokerTls(new BrokerTls(
                        settings.get("amqp-tls-ca-file", amqpTlsCaFile).map(Path::of),
                        settings.get("amqp-tls-cert-file", amqpTlsCertFile).map(Path::of),
                        settings.get("amqp-tls-key-file", amqpTlsKeyFile).map(Path::of),
                        Boolean.parseBoolean(settings.get("amqp-tls-verify-hostname", amqpTlsVerifyHostname, "true"))))
                .quorumGroupSize(Integer.parseInt(settings.get(
                        "quorum-group-size",
                        quorumGroupSize,
                        Integer.toString(WorkerConfig.DEFAULT_QUORUM_GROUP_SIZE))))
                .trustedImageRoots(paths(settings.get("trusted-image-root", joined(trustedImageRoots), "")))
                .fuseUser(settings.get("fuse-user", fuseUser, WorkerConfig.DEFAULT_FUSE_USER))
                .concurrency(Integer.parseInt(settings.get("concurrency", concurrency, "2")))
                .runDir(Path.of(settings.get("run-dir", runDir, "/run/imginject")))
                .deadLetterKeyFile(
                        Path.of(settings.get("dead-letter-key-file", deadLetterKeyFile, DeadLetterKey.DEFAULT_FILE)))
                .lockWait(seconds(settings.get("lock-wait", lockWaitSeconds, "600")))
                .commandTimeout(seconds(settings.get("command-timeout", commandTimeoutSeconds, "120")))
                .shutdownGrace(seconds(settings.get("shutdown-grace", shutdownGraceSeconds, "120")))
                .jobTimeout(seconds(settings.get("job-timeout", jobTimeoutSeconds, "1800")))
                .retry(new RetrySettings(
                        Integer.parseInt(settings.get("retry-attempts", retryAttempts, "3")),
                        Duration.ofMillis(Long.parseLong(settings.get("retry-initial-ms", retryInitialMs, "500"))),
                        Double.parseDouble(settings.get("retry-multiplier", retryMultiplier, "2.0")),
                        Duration.ofMillis(
                                Long.parseLong(settings.get("retry-max-interval-ms", retryMaxIntervalMs, "5000"))),
                        Duration.ofMillis(
                                Long.parseLong(settings.get("retry-max-total-ms", retryMaxTotalMs, "60000")))))
                .nbd(new NbdSettings(
                        transport(settings.get("nbd-transport", nbdTransport, "auto")),
                        seconds(settings.get("nbd-ready-timeout", nbdReadyTimeoutSeconds, "10"))))
                .guestfs(new GuestfsSettings(
                        tcgMode(settings.get(
                                "guestfs-force-tcg", guestfsForceTcg, GuestfsSettings.TcgMode.AUTO.settingValue())),
                        Integer.parseInt(settings.get("guestfs-memory", guestfsMemoryMib, "512")),
                        Integer.parseInt(settings.get("guestfs-vcpus", guestfsVcpus, "2")),
                        seconds(settings.get("guestfs-launch-timeout", guestfsLaunchTimeoutSeconds, "180"))))
                .limits(new RequestLimits(
                        Long.parseLong(settings.get(
                                "max-request-bytes",
                                maxRequestBytes,
                                Long.toString(RequestLimits.DEFAULT.maxRequestBytes()))),
                        Integer.parseInt(settings.get(
                                "max-files", maxFiles, Integer.toString(RequestLimits.DEFAULT.maxFiles()))),
                        Long.parseLong(settings.get(
                                "max-file-bytes-total",
                                maxFileBytesTotal,
                                Long.toString(RequestLimits.DEFAULT.maxFileBytesTotal())))))
                .nativeDoor(Boolean.parseBoolean(settings.get("native", nativeDoor, "true")))
                .httpPort(Integer.parseInt(
                        settings.get("http-port", httpPort, Integer.toString(WorkerConfig.DEFAULT_HTTP_PORT))))
                .httpBind(settings.get("http-bind", httpBind, WorkerConfig.DEFAULT_HTTP_BIND));
        if (Boolean.parseBoolean(settings.get("oslo", oslo, "false"))) {
            builder.oslo(new OsloSettings(
                    settings.get("oslo-exchange", osloExchange, "nova"),
                    settings.get("oslo-topic", osloTopic, OsloSettings.DEFAULT_TOPIC),
                    settings.get("oslo-server", osloServer, workerHost),
                    Boolean.parseBoolean(settings.get("oslo-durable", osloDurable, "false")),
                    Boolean.parseBoolean(settings.get("oslo-auto-delete", osloAutoDelete, "false")),
                    Boolean.parseBoolean(settings.get("oslo-quorum", osloQuorum, "false")),
                    seconds(settings.get("oslo-transient-ttl", osloTransientTtlSeconds, "1800")),
                    settings.get("oslo-version", osloVersion, "1.0"),
                    Boolean.parseBoolean(settings.get("oslo-no-nova-compute", osloNoNovaCompute, "false"))));
        }
        return builder.build();
    }

    /** Directories given with a repeatable flag, as one comma-separated setting; null when the flag was not given. */
    static String joined(List<Path> directories) {
        return directories == null
                ? null
                : String.join(",", directories.stream().map(Path::toString).toList());
    }

    /** The directories of a comma-separated setting. */
    static List<Path> paths(String setting) {
        return Arrays.stream(setting.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(Path::of)
                .toList();
    }

    private static Duration seconds(String value) {
        return Duration.ofSeconds(Long.parseLong(value));
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
