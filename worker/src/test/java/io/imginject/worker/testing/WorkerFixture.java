package io.imginject.worker.testing;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.Wire;
import io.imginject.worker.Worker;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.chain.RetrySettings;
import io.imginject.worker.handler.ImageHandler;
import io.imginject.worker.handler.guestfs.GuestfsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A real worker on the real broker, serving a host name of its own, with an image root and run directory under
 * a test directory (which fuse2fs's user may pass through). The image root is trusted unless the test says
 * otherwise ({@code config.trustedImageRoots(List.of())}), so the host kernel mounts as it did before trust existed; plus a client, a raw channel for hand-made messages, and a queue that catches whatever the
 * worker dead-letters for its host.
 */
public final class WorkerFixture implements AutoCloseable {
    private final String host;
    private final Path images;
    private final Worker worker;
    private final Connection connection;
    private final InjectionClient client;
    private final Channel raw;
    private final String rawReplies;
    private final BlockingQueue<RawReply> rawReplyQueue = new LinkedBlockingQueue<>();
    private final String deadLetterCatcher;

    /** A reply as it arrived on the wire: its AMQP properties and decoded body. */
    public record RawReply(AMQP.BasicProperties properties, InjectionReply reply) {}

    /** A dead-lettered message, its body sealed. */
    @SuppressWarnings("ArrayRecordComponent") // carries a body from the AMQP client's byte[]; never compared
    public record DeadLetter(AMQP.BasicProperties properties, byte[] body) {
        public Object header(String name) {
            Object value = properties.getHeaders() == null
                    ? null
                    : properties.getHeaders().get(name);
            return value == null ? null : value.toString();
        }

        /** The request it holds, opened with the test run's dead-letter key. */
        public byte[] request() {
            return TestDeadLetterKey.open(properties, body);
        }
    }

    private WorkerFixture(String host, Path images, Worker worker, Connection connection) throws IOException {
        this.host = host;
        this.images = images;
        this.worker = worker;
        this.connection = connection;
        this.client = InjectionClient.open(connection);
        this.raw = connection.createChannel();
        this.rawReplies = raw.queueDeclare().getQueue();
        raw.basicConsume(
                rawReplies,
                true,
                (tag, delivery) -> rawReplyQueue.add(
                        new RawReply(delivery.getProperties(), ReplyCodec.decode(delivery.getBody()))),
                tag -> {});
        this.deadLetterCatcher = raw.queueDeclare().getQueue();
        raw.queueBind(deadLetterCatcher, Wire.DEAD_LETTER_EXCHANGE, Wire.routingKey(host));
    }

    public static WorkerFixture start(Path directory, List<HandlerName> handlers, int concurrency) throws Exception {
        return start(directory, handlers, config -> config.concurrency(concurrency), UnaryOperator.identity());
    }

    /**
     * A worker whose config the test adjusts, and whose handlers it may wrap. Defaults for tests: the appliance
     * runs under TCG (this project's CI has no usable KVM), retries wait 100 ms, not 500, dead letters are
     * sealed with the {@link TestDeadLetterKey}, and there is no HTTP server (many workers run at once), unless the
     * test gives {@code httpPort}.
     */
    public static WorkerFixture start(
            Path directory,
            List<HandlerName> handlers,
            UnaryOperator<WorkerConfig.Builder> adjust,
            UnaryOperator<ImageHandler> decorate)
            throws Exception {
        return start("test-" + UUID.randomUUID().toString().substring(0, 8), directory, handlers, adjust, decorate);
    }

    /** A worker for {@code host}, a host name the test chose (to put requests on the broker before a worker runs). */
    public static WorkerFixture start(
            String host,
            Path directory,
            List<HandlerName> handlers,
            UnaryOperator<WorkerConfig.Builder> adjust,
            UnaryOperator<ImageHandler> decorate)
            throws Exception {
        Path images = Files.createDirectories(directory.resolve("images"));
        WorkerConfig config = adjust.apply(config(TestBroker.uri().toString(), host, directory, handlers))
                .build();
        Connection connection = TestBroker.connect("test-client-" + host);
        Worker worker;
        try {
            worker = Worker.start(config, decorate);
        } catch (Exception e) {
            connection.close();
            throw e;
        }
        return new WorkerFixture(host, images, worker, connection);
    }

    /**
     * The config of a test worker for {@code host} on the broker at {@code brokerUri}: images under {@code
     * directory/images} (made, and trusted), its run directory beside them, the test run's dead-letter key, short
     * retries and the appliance under TCG.
     */
    public static WorkerConfig.Builder config(String brokerUri, String host, Path directory, List<HandlerName> handlers)
            throws IOException {
        Path images = Files.createDirectories(directory.resolve("images"));
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        return WorkerConfig.builder(BrokerAddresses.parse(brokerUri), host, List.of(images), handlers)
                .trustedImageRoots(List.of(images))
                .runDir(directory.resolve("run"))
                .httpPort(0)
                .deadLetterKeyFile(TestDeadLetterKey.file())
                .lockWait(Duration.ofSeconds(60))
                .commandTimeout(Duration.ofSeconds(60))
                .shutdownGrace(Duration.ofSeconds(30))
                .retry(new RetrySettings(3, Duration.ofMillis(100), 2.0, Duration.ofSeconds(1), Duration.ofMinutes(5)))
                .guestfs(new GuestfsSettings(GuestfsSettings.TcgMode.ALWAYS, 512, 2, Duration.ofMinutes(3)));
    }

    public String host() {
        return host;
    }

    /** The worker's image root. */
    public Path images() {
        return images;
    }

    public InjectionClient client() {
        return client;
    }

    /** Sends {@code request} and waits up to two minutes for its reply. */
    public InjectionReply call(InjectionRequest request) throws Exception {
        return client.call(host, request, Duration.ofMinutes(2));
    }

    /** How many consumers {@code queue} has, or -1 if there is no such queue. */
    public long consumerCount(String queue) throws Exception {
        try (Channel channel = connection.createChannel()) {
            return channel.consumerCount(queue);
        } catch (IOException missing) {
            return -1;
        }
    }

    /** Deletes {@code queue}, as an operator or a broker node failure might. */
    public void deleteQueue(String queue) throws Exception {
        try (Channel channel = connection.createChannel()) {
            channel.queueDelete(queue);
        }
    }

    /** Publishes {@code body} to this host's routing key with {@code properties}. */
    public void publishRaw(AMQP.BasicProperties properties, byte[] body) throws IOException {
        raw.basicPublish(Wire.EXCHANGE, Wire.routingKey(host), properties, body);
    }

    /** Properties that ask for a reply on this fixture's raw reply queue. */
    public AMQP.BasicProperties.Builder replyingProperties(String correlationId) {
        return new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE)
                .correlationId(correlationId)
                .replyTo(rawReplies);
    }

    public RawReply nextRawReply() throws InterruptedException {
        return nextRawReply(Duration.ofMinutes(2));
    }

    /** The next reply on the raw reply queue, waiting up to {@code wait}. */
    public RawReply nextRawReply(Duration wait) throws InterruptedException {
        RawReply reply = rawReplyQueue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (reply == null) {
            throw new AssertionError("no reply on the raw reply queue within " + wait);
        }
        return reply;
    }

    /** The next reply on the raw reply queue if one comes within {@code wait}, else null. */
    public RawReply pollRawReply(Duration wait) throws InterruptedException {
        return rawReplyQueue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many requests wait in this host's queue, not yet taken by the worker. */
    public long requestsWaiting() throws IOException {
        return raw.messageCount(Wire.queue(host));
    }

    /** The next message the worker dead-lettered for this host, waiting up to 30 s. */
    public DeadLetter nextDeadLetter() throws Exception {
        return nextDeadLetter(Duration.ofSeconds(30));
    }

    /** The next message the worker dead-lettered for this host, waiting up to {@code wait}. */
    public DeadLetter nextDeadLetter(Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse response = raw.basicGet(deadLetterCatcher, true);
            if (response != null) {
                return new DeadLetter(response.getProps(), response.getBody());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("nothing was dead-lettered for " + host + " within " + wait);
    }

    /** The message with id {@code messageId} the worker dead-lettered for this host, waiting up to 30 s. */
    public DeadLetter nextDeadLetterOf(String messageId) throws Exception {
        return nextDeadLetterOf(messageId, Duration.ofSeconds(30));
    }

    /**
     * The message with id {@code messageId} the worker dead-lettered for this host, waiting up to {@code wait}. Dead
     * letters of other messages (left by an earlier test that failed) are taken off the catcher and named in the
     * failure, so one late dead letter cannot pass for another test's; the failure also carries the worker's last log
     * lines for the message.
     */
    public DeadLetter nextDeadLetterOf(String messageId, Duration wait) throws Exception {
        List<String> others = new ArrayList<>();
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            GetResponse response = raw.basicGet(deadLetterCatcher, true);
            if (response == null) {
                Thread.sleep(50);
            } else if (messageId.equals(response.getProps().getMessageId())) {
                return new DeadLetter(response.getProps(), response.getBody());
            } else {
                others.add(response.getProps().getMessageId());
            }
        }
        throw new AssertionError("nothing was dead-lettered for " + host + " as " + messageId + " within " + wait
                + (others.isEmpty() ? "" : " (dead letters of other messages came: " + others + ")")
                + "; the worker's last lines for it:\n" + TestLog.lastLinesMentioning(messageId, 12));
    }

    /** How many messages are waiting in the catcher right now. */
    public long deadLettersWaiting() throws IOException {
        return raw.messageCount(deadLetterCatcher);
    }

    @Override
    public void close() throws IOException, TimeoutException {
        worker.close();
        removeOwnDeadLetters();
        try (Channel channel = connection.createChannel()) {
            channel.queueDelete(Wire.queue(host));
            channel.queueDelete(Wire.unansweredQueue(host));
        }
        client.close();
        connection.close();
    }

    /** Takes this host's messages out of the shared dead-letter queue, leaving everyone else's. */
    private void removeOwnDeadLetters() throws IOException, TimeoutException {
        try (Channel channel = connection.createChannel()) {
            long count = channel.messageCount(Wire.DEAD_LETTER_QUEUE);
            List<Long> others = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                GetResponse response = channel.basicGet(Wire.DEAD_LETTER_QUEUE, false);
                if (response == null) {
                    break;
                }
                Object owner = response.getProps().getHeaders() == null
                        ? null
                        : response.getProps().getHeaders().get("x-imginject-host");
                if (owner != null && owner.toString().equals(host)) {
                    channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
                } else {
                    others.add(response.getEnvelope().getDeliveryTag());
                }
            }
            for (long tag : others) {
                channel.basicNack(tag, false, true);
            }
        }
    }
}
