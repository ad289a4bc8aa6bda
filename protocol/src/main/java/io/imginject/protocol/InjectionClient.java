package io.imginject.protocol;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes injection requests and hands back their replies; for schedulers and the {@code imginject submit}
 * command. Requests are persistent, published with confirms and the mandatory flag, so a request that reaches
 * no worker queue fails at once with {@link UnroutableRequestException} instead of timing out. Replies come back
 * on a private, server-named queue that lives as long as this client.
 *
 * <p>Thread-safe. Closing the client does not close the connection it was given.
 */
public final class InjectionClient implements AutoCloseable {
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final Channel channel;
    private final String replyQueue;
    private final Map<String, CompletableFuture<InjectionReply>> pending = new ConcurrentHashMap<>();
    private final Object publishLock = new Object();

    private InjectionClient(Channel channel, String replyQueue) throws IOException {
        this.channel = channel;
        channel.confirmSelect();
        this.replyQueue = replyQueue;
        channel.addReturnListener(returned -> {
            CompletableFuture<InjectionReply> future =
                    pending.remove(returned.getProperties().getCorrelationId());
            if (future != null) {
                future.completeExceptionally(new UnroutableRequestException(hostOf(returned.getRoutingKey())));
            }
        });
        DeliverCallback onReply = (tag, delivery) -> {
            CompletableFuture<InjectionReply> future =
                    pending.remove(String.valueOf(delivery.getProperties().getCorrelationId()));
            if (future == null) {
                return;
            }
            try {
                future.complete(ReplyCodec.decode(delivery.getBody()));
            } catch (IOException e) {
                future.completeExceptionally(
                        new IOException("the worker's reply is not v1 JSON: " + e.getMessage(), e));
            }
        };
        channel.basicConsume(replyQueue, true, onReply, tag -> {});
    }

    /** Opens a client on its own channel of {@code connection}, with a private reply queue that lives as long as it. */
    public static InjectionClient open(Connection connection) throws IOException {
        Channel channel = connection.createChannel();
        return new InjectionClient(channel, channel.queueDeclare().getQueue());
    }

    /**
     * Opens a client whose replies go to the durable quorum queue {@code replyQueue} (declared if missing), so that
     * replies published while this client is away, or across a broker restart, wait for it. Use a name of its own
     * per client.
     */
    public static InjectionClient openWithDurableReplies(Connection connection, String replyQueue) throws IOException {
        Channel channel = connection.createChannel();
        channel.queueDeclare(replyQueue, true, false, false, Map.of("x-queue-type", "quorum"));
        return new InjectionClient(channel, replyQueue);
    }

    /** Publishes {@code request} for {@code host}; the future completes with the reply. */
    public CompletableFuture<InjectionReply> submit(String host, InjectionRequest request) throws IOException {
        return submit(host, request, UUID.randomUUID().toString());
    }

    /**
     * Publishes {@code request} for {@code host} under the given job id; the future completes with the reply,
     * or exceptionally with {@link UnroutableRequestException}.
     */
    public CompletableFuture<InjectionReply> submit(String host, InjectionRequest request, String jobId)
            throws IOException {
        return submit(host, request, jobId, null);
    }

    /**
     * As {@link #submit(String, InjectionRequest, String)}, with a deadline: a worker that takes the request after
     * {@code deadline} does not run it and answers {@code deadline_expired}. Null for none.
     */
    public CompletableFuture<InjectionReply> submit(
            String host, InjectionRequest request, String jobId, Instant deadline) throws IOException {
        String correlationId = UUID.randomUUID().toString();
        CompletableFuture<InjectionReply> future = new CompletableFuture<>();
        pending.put(correlationId, future);
        AMQP.BasicProperties properties = MessageProperties.PERSISTENT_BASIC
                .builder()
                .contentType(Wire.CONTENT_TYPE)
                .messageId(jobId)
                .correlationId(correlationId)
                .replyTo(replyQueue)
                .headers(deadline == null ? null : Map.of(Wire.DEADLINE_HEADER, deadline.toEpochMilli()))
                .build();
        try {
            publish(host, request, properties);
        } catch (IOException e) {
            pending.remove(correlationId);
            throw e;
        }
        return future;
    }

    /** Publishes {@code request} for {@code host} and waits for the reply. */
    public InjectionReply call(String host, InjectionRequest request, Duration timeout)
            throws IOException, InterruptedException, TimeoutException {
        CompletableFuture<InjectionReply> future = submit(host, request);
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } finally {
            future.cancel(false);
        }
    }

    /** Publishes {@code request} for {@code host} without asking for a reply. */
    public void cast(String host, InjectionRequest request, String jobId) throws IOException {
        publish(
                host,
                request,
                MessageProperties.PERSISTENT_BASIC
                        .builder()
                        .contentType(Wire.CONTENT_TYPE)
                        .messageId(jobId)
                        .build());
    }

    private void publish(String host, InjectionRequest request, AMQP.BasicProperties properties) throws IOException {
        Wire.problemWithHost(host).ifPresent(problem -> {
            throw new IllegalArgumentException(problem);
        });
        synchronized (publishLock) {
            channel.basicPublish(
                    Wire.EXCHANGE, Wire.routingKey(host), true, properties, RequestEncoder.encode(request));
            try {
                channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the broker to confirm the request", e);
            } catch (TimeoutException e) {
                throw new IOException(
                        "the broker did not confirm the request within " + CONFIRM_TIMEOUT.toSeconds() + " s", e);
            }
        }
    }

    private static String hostOf(String routingKey) {
        return routingKey.startsWith("inject.") ? routingKey.substring("inject.".length()) : routingKey;
    }

    @Override
    public void close() throws IOException {
        pending.values().forEach(f -> f.completeExceptionally(new IOException("the client was closed")));
        pending.clear();
        try {
            if (channel.isOpen()) {
                channel.close();
            }
        } catch (TimeoutException e) {
            throw new IOException("closing the client's channel timed out", e);
        }
    }
}
