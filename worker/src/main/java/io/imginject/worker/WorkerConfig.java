package io.imginject.worker;

import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.BrokerTls;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.RequestLimits;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.QuorumQueues;
import io.imginject.worker.chain.RetrySettings;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.handler.guestfs.GuestfsSettings;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.oslo.OsloSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything a worker needs to run. Build one with {@link #builder}, which starts from the defaults.
 *
 * @param broker the broker's nodes, e.g. {@code amqp://guest:guest@127.0.0.1:5672/%2f}, in order of preference
 * @param brokerTls how an {@code amqps} connection verifies the broker and proves the worker's identity
 * @param quorumGroupSize how many nodes a quorum queue the worker declares is replicated on (the broker takes all its
 *     nodes when it has fewer)
 * @param host the host name this worker serves (its queue is {@code imginject.<host>})
 * @param imageRoots the only directories images are taken from
 * @param trustedImageRoots the directories whose images the host kernel may mount; every other image's filesystem
 *     is read by fuse2fs or the guestfs appliance
 * @param fuseUser the unprivileged host user fuse2fs runs as
 * @param handlers the enabled handlers, in the default order
 * @param concurrency jobs run at once, and the prefetch
 * @param runDir private working directory for mounts and locks; shared by the workers of one host
 * @param deadLetterKeyFile the dead-letter key, which every worker of the broker and the operator's {@code dlq} share
 * @param lockWait how long a job waits for another job on the same image
 * @param commandTimeout how long one host tool may run
 * @param shutdownGrace how long stopping waits for running jobs
 * @param jobTimeout how long a job may run, its wait for the image lock included, before its helpers are killed and
 *     it fails with {@code job_timeout}
 * @param retry how the handler chain retries transient failures
 * @param nbd how the nbd handler reaches images
 * @param guestfs how the guestfs appliance starts
 * @param limits the most a worker takes in one request, through either front door
 * @param nativeDoor whether the worker takes native v1 requests
 * @param oslo whether, and as which RPC server, the worker takes oslo.messaging calls
 * @param declare whether the worker declares its broker objects; false (--no-declare): it only checks that the
 *     operator's definitions put them there
 * @param brokerConsumerTimeout the broker's {@code consumer_timeout}, which AMQP does not tell: a delivery held
 *     longer gets its channel closed; the worker does not start when a job could outlast it
 * @param httpPort the port of the HTTP server with {@code /metrics}, {@code /healthz} and {@code /readyz}; 0 for
 *     no server
 * @param httpBind the address that server listens on
 */
public record WorkerConfig(
        BrokerAddresses broker,
        BrokerTls brokerTls,
        int quorumGroupSize,
        String host,
        List<Path> imageRoots,
        List<Path> trustedImageRoots,
        String fuseUser,
        List<HandlerName> handlers,
        int concurrency,
        Path runDir,
        Path deadLetterKeyFile,
        Duration lockWait,
        Duration commandTimeout,
        Duration shutdownGrace,
        Duration jobTimeout,
        RetrySettings retry,
        NbdSettings nbd,
        GuestfsSettings guestfs,
        RequestLimits limits,
        boolean nativeDoor,
        Optional<OsloSettings> oslo,
        boolean declare,
        Duration brokerConsumerTimeout,
        int httpPort,
        String httpBind) {

    public static final int DEFAULT_QUORUM_GROUP_SIZE = QuorumQueues.DEFAULT_GROUP_SIZE;

    /** RabbitMQ's default {@code consumer_timeout} since 3.8.15. */
    public static final Duration DEFAULT_BROKER_CONSUMER_TIMEOUT = Duration.ofMinutes(30);

    /** The user deploy/setup-host makes for fuse2fs. */
    public static final String DEFAULT_FUSE_USER = "imginject-fuse";

    /** The HTTP server's port by default: the one Prometheus's port registry gives exporters of this kind. */
    public static final int DEFAULT_HTTP_PORT = 9464;

    /** The HTTP server listens on this host only by default. */
    public static final String DEFAULT_HTTP_BIND = "127.0.0.1";

    public WorkerConfig {
        imageRoots = List.copyOf(imageRoots);
        trustedImageRoots = List.copyOf(trustedImageRoots);
        handlers = List.copyOf(handlers);
        if (quorumGroupSize < 1) {
            throw new IllegalArgumentException("quorum-group-size must be at least 1, got " + quorumGroupSize);
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        if (jobTimeout.isNegative() || jobTimeout.isZero()) {
            throw new IllegalArgumentException("job-timeout must be positive, got " + jobTimeout.toSeconds() + " s");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("http-port is 0 (no HTTP server) to 65535, got " + httpPort);
        }
        if (handlers.isEmpty()) {
            throw new IllegalArgumentException("at least one handler must be enabled");
        }
        if (imageRoots.isEmpty()) {
            throw new IllegalArgumentException("at least one image root is needed");
        }
        if (!declare && oslo.isPresent()) {
            throw new IllegalArgumentException("no-declare is for the native door only: the oslo door declares oslo's"
                    + " own queues as oslo.messaging servers do; run an oslo worker as a user that may configure them");
        }
        if (!nativeDoor && oslo.isEmpty()) {
            throw new IllegalArgumentException(
                    "neither the native nor the oslo front door is enabled; the worker would take nothing");
        }
        Wire.problemWithHost(host).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
    }

    /** A builder holding the defaults for everything but the broker, the host, the images and the handlers. */
    public static Builder builder(
            BrokerAddresses broker, String host, List<Path> imageRoots, List<HandlerName> handlers) {
        return new Builder(broker, host, imageRoots, handlers);
    }

    /** Builds a {@link WorkerConfig}; each setting starts at its default. */
    public static final class Builder {
        private final BrokerAddresses broker;
        private BrokerTls brokerTls = BrokerTls.DEFAULT;
        private int quorumGroupSize = DEFAULT_QUORUM_GROUP_SIZE;
        private final String host;
        private final List<Path> imageRoots;
        private final List<HandlerName> handlers;
        private List<Path> trustedImageRoots = List.of();
        private String fuseUser = DEFAULT_FUSE_USER;
        private int concurrency = 2;
        private Path runDir = Path.of("/run/imginject");
        private Path deadLetterKeyFile = Path.of(DeadLetterKey.DEFAULT_FILE);
        private Duration lockWait = Duration.ofMinutes(10);
        private Duration commandTimeout = Duration.ofMinutes(2);
        private Duration shutdownGrace = Duration.ofMinutes(2);
        private Duration jobTimeout = Duration.ofMinutes(25);
        private RetrySettings retry = RetrySettings.DEFAULT;
        private NbdSettings nbd = NbdSettings.DEFAULT;
        private GuestfsSettings guestfs = GuestfsSettings.DEFAULT;
        private RequestLimits limits = RequestLimits.DEFAULT;
        private boolean nativeDoor = true;
        private OsloSettings oslo;
        private boolean declare = true;
        private Duration brokerConsumerTimeout = DEFAULT_BROKER_CONSUMER_TIMEOUT;
        private int httpPort = DEFAULT_HTTP_PORT;
        private String httpBind = DEFAULT_HTTP_BIND;

        private Builder(BrokerAddresses broker, String host, List<Path> imageRoots, List<HandlerName> handlers) {
            this.broker = broker;
            this.host = host;
            this.imageRoots = imageRoots;
            this.handlers = handlers;
        }

        public Builder brokerTls(BrokerTls value) {
            brokerTls = value;
            return this;
        }

        public Builder quorumGroupSize(int value) {
            quorumGroupSize = value;
            return this;
        }

        /** The image roots whose images the host kernel may mount; none by default. */
        public Builder trustedImageRoots(List<Path> value) {
            trustedImageRoots = value;
            return this;
        }

        public Builder fuseUser(String value) {
            fuseUser = value;
            return this;
        }

        public Builder concurrency(int value) {
            concurrency = value;
            return this;
        }

        public Builder runDir(Path value) {
            runDir = value;
            return this;
        }

        public Builder deadLetterKeyFile(Path value) {
            deadLetterKeyFile = value;
            return this;
        }

        public Builder lockWait(Duration value) {
            lockWait = value;
            return this;
        }

        public Builder commandTimeout(Duration value) {
            commandTimeout = value;
            return this;
        }

        public Builder shutdownGrace(Duration value) {
            shutdownGrace = value;
            return this;
        }

        public Builder jobTimeout(Duration value) {
            jobTimeout = value;
            return this;
        }

        public Builder retry(RetrySettings value) {
            retry = value;
            return this;
        }

        public Builder nbd(NbdSettings value) {
            nbd = value;
            return this;
        }

        public Builder guestfs(GuestfsSettings value) {
            guestfs = value;
            return this;
        }

        public Builder limits(RequestLimits value) {
            limits = value;
            return this;
        }

        public Builder nativeDoor(boolean value) {
            nativeDoor = value;
            return this;
        }

        /** Serves oslo.messaging calls as described; null for no oslo front door. */
        public Builder oslo(OsloSettings value) {
            oslo = value;
            return this;
        }

        /** False: declare nothing, only check that the host's objects are on the broker. */
        public Builder declare(boolean value) {
            declare = value;
            return this;
        }

        public Builder brokerConsumerTimeout(Duration value) {
            brokerConsumerTimeout = value;
            return this;
        }

        /** The HTTP server's port; 0 for none. */
        public Builder httpPort(int value) {
            httpPort = value;
            return this;
        }

        public Builder httpBind(String value) {
            httpBind = value;
            return this;
        }

        public WorkerConfig build() {
            return new WorkerConfig(
                    broker,
                    brokerTls,
                    quorumGroupSize,
                    host,
                    imageRoots,
                    trustedImageRoots,
                    fuseUser,
                    handlers,
                    concurrency,
                    runDir,
                    deadLetterKeyFile,
                    lockWait,
                    commandTimeout,
                    shutdownGrace,
                    jobTimeout,
                    retry,
                    nbd,
                    guestfs,
                    limits,
                    nativeDoor,
                    Optional.ofNullable(oslo),
                    declare,
                    brokerConsumerTimeout,
                    httpPort,
                    httpBind);
        }
    }
}
