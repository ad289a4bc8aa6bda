package io.imginject.worker.pipeline;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.imginject.protocol.Wire;
import io.imginject.worker.broker.Acks;
import io.imginject.worker.broker.Publisher;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The broker as the pipeline meets it, through the project's own {@link Acks} and {@link Publisher}: every ack,
 * requeue and confirmed publish is written down in {@code events}, in order; a publish to a destination fails as
 * scripted, one scripted failure a try.
 */
final class ScriptedBroker implements Acks, Publisher {

    /** A message the broker confirmed. */
    @SuppressWarnings("ArrayRecordComponent") // a message body, as amqp-client gives it; never compared or hashed
    record Published(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) {

        String header(String name) {
            Object value = properties.getHeaders() == null
                    ? null
                    : properties.getHeaders().get(name);
            return value == null ? null : value.toString();
        }
    }

    private final List<String> events;
    private final Map<String, Deque<IOException>> failures = new HashMap<>();
    final List<Published> deadLetters = new ArrayList<>();
    final List<Published> replies = new ArrayList<>();

    ScriptedBroker(List<String> events) {
        this.events = events;
    }

    /** The next tries to publish to {@code destination} (an exchange, or a queue by the default exchange) fail so. */
    synchronized void failNext(String destination, IOException... tries) {
        failures.computeIfAbsent(destination, d -> new ArrayDeque<>()).addAll(Arrays.asList(tries));
    }

    @Override
    public synchronized void publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
        IOException failure = failures.getOrDefault(exchange.isEmpty() ? routingKey : exchange, new ArrayDeque<>())
                .poll();
        if (failure != null) {
            throw failure;
        }
        Published published = new Published(exchange, routingKey, properties, body);
        if (exchange.equals(Wire.DEAD_LETTER_EXCHANGE)) {
            deadLetters.add(published);
            events.add("dead-letter " + published.header(DeadLetterHeaders.ERROR_CODE));
        } else {
            replies.add(published);
            events.add("reply " + new String(body, StandardCharsets.UTF_8));
        }
    }

    @Override
    public void ack(Delivery delivery) {
        events.add("ack " + delivery.getProperties().getMessageId());
    }

    @Override
    public void requeue(Delivery delivery) {
        events.add("requeue " + delivery.getProperties().getMessageId());
    }
}
