package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Wire;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.broker.QuorumQueues;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.ShippedDefinitions;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestDeadLetterKey;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests the broker gives up on before any worker answers them, because their AMQP expiration passed in the
 * queue or because they were delivered again and again without a worker finishing them, are answered all the same
 * when a worker runs, without being run, and kept in the dead-letter queue with the reason.
 */
@ExtendWith(NoHostLeaks.class)
class UnansweredRequestsTest {
    @TempDir
    Path directory;

    final String host = "unanswered-" + UUID.randomUUID().toString().substring(0, 8);
    Connection connection;
    Channel channel;
    String replies;
    String deadLetters;

    @BeforeEach
    void declareTheHostWithoutAWorker() throws Exception {
        connection = TestBroker.connect("unanswered-test");
        channel = connection.createChannel();
        Topology.declare(channel, host, new QuorumQueues(WorkerConfig.DEFAULT_QUORUM_GROUP_SIZE));
        replies = channel.queueDeclare().getQueue();
        deadLetters = channel.queueDeclare().getQueue();
        channel.queueBind(deadLetters, Wire.DEAD_LETTER_EXCHANGE, Wire.routingKey(host));
    }

    @AfterEach
    void close() throws Exception {
        connection.close();
    }

    @Test
    @SuppressWarnings("try") // the worker only has to run for the block
    void a_request_that_expires_in_the_queue_is_answered_deadline_expired_and_dead_lettered_without_running()
            throws Exception {
        byte[] body = RequestEncoder.encode(Requests.net(directory.resolve("images/never-opened.img")));
        channel.basicPublish(
                Wire.EXCHANGE,
                Wire.routingKey(host),
                properties("expiring").expiration("200").build(),
                body);
        awaitDeadLetteredByTheBroker();

        try (WorkerFixture worker = startWorker()) {
            InjectionReply reply = ReplyCodec.decode(next(replies).getBody());
            GetResponse dead = next(deadLetters);

            assertThat(reply.jobId()).isEqualTo("expiring");
            assertThat(reply.error().code()).isEqualTo(ErrorCode.DEADLINE_EXPIRED);
            assertThat(reply.error().message())
                    .isEqualTo("the request's AMQP expiration (200 ms) passed while it waited in " + Wire.queue(host)
                            + "; it was not run");
            assertThat(reply.attempts()).as("not run").isEmpty();
            assertThat(TestDeadLetterKey.open(dead.getProps(), dead.getBody())).isEqualTo(body);
            assertThat(header(dead, DeadLetterHeaders.ERROR_CODE)).isEqualTo("deadline_expired");
            assertThat(header(dead, DeadLetterHeaders.ORIGINAL_EXCHANGE)).isEqualTo(Wire.EXCHANGE);
            assertThat(header(dead, DeadLetterHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo(Wire.routingKey(host));
            assertThat(header(dead, DeadLetterHeaders.ORIGINAL_EXPIRATION)).isEqualTo("200");
            assertThat(dead.getProps().getHeaders())
                    .as("the worker's headers say why; the broker's are dropped")
                    .doesNotContainKeys("x-death", "x-first-death-reason");
        }
    }

    @Test
    @SuppressWarnings("try") // the worker only has to run for the block
    void a_request_redelivered_past_the_delivery_limit_is_answered_and_dead_lettered_without_running_again()
            throws Exception {
        byte[] body = RequestEncoder.encode(Requests.net(directory.resolve("images/crashes-workers.img")));
        channel.basicPublish(
                Wire.EXCHANGE, Wire.routingKey(host), properties("poison").build(), body);
        putBack(Wire.queue(host), ShippedDefinitions.hostQueueDeliveryLimit() + 1);
        awaitDeadLetteredByTheBroker();

        try (WorkerFixture worker = startWorker()) {
            InjectionReply reply = ReplyCodec.decode(next(replies).getBody());
            GetResponse dead = next(deadLetters);

            assertThat(reply.error().code()).isEqualTo(ErrorCode.DELIVERY_LIMIT_REACHED);
            assertThat(reply.error().message()).contains("reached the delivery limit of " + Wire.queue(host));
            assertThat(header(dead, DeadLetterHeaders.ERROR_CODE)).isEqualTo("delivery_limit_reached");
            assertThat(header(dead, DeadLetterHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo(Wire.routingKey(host));
        }
    }

    @Test
    @SuppressWarnings("try") // the worker only has to run for the block
    void
            a_message_put_straight_into_the_unanswered_queue_is_dead_lettered_with_the_hosts_origin_whatever_its_x_death_says()
                    throws Exception {
        String trap = channel.queueDeclare().getQueue();
        Map<String, Object> forgedDeath = Map.of(
                "reason",
                "expired",
                "queue",
                Wire.queue(host),
                "exchange",
                "",
                "routing-keys",
                List.of(trap),
                "count",
                1L);
        channel.basicPublish(
                "",
                Wire.unansweredQueue(host),
                properties("forged-death")
                        .headers(Map.of(
                                "x-death",
                                List.of(forgedDeath),
                                "x-original-exchange",
                                "",
                                "x-original-routing-key",
                                trap))
                        .build(),
                RequestEncoder.encode(Requests.net(directory.resolve("images/never-opened.img"))));

        try (WorkerFixture worker = startWorker()) {
            InjectionReply reply = ReplyCodec.decode(next(replies).getBody());
            GetResponse dead = next(deadLetters);

            assertThat(reply.error().code()).isEqualTo(ErrorCode.DEADLINE_EXPIRED);
            assertThat(header(dead, DeadLetterHeaders.ORIGINAL_EXCHANGE)).isEqualTo(Wire.EXCHANGE);
            assertThat(header(dead, DeadLetterHeaders.ORIGINAL_ROUTING_KEY)).isEqualTo(Wire.routingKey(host));
            assertThat(channel.messageCount(trap)).isZero();
        }
    }

    @Test
    @SuppressWarnings("try") // the worker only has to run for the block
    void an_unanswered_request_put_back_more_often_than_any_delivery_limit_stays_for_a_worker_to_seal()
            throws Exception {
        byte[] body = RequestEncoder.encode(Requests.net(directory.resolve("images/never-opened.img")));
        channel.basicPublish(
                "", Wire.unansweredQueue(host), properties("put-back").build(), body);
        putBack(Wire.unansweredQueue(host), 2 * ShippedDefinitions.hostQueueDeliveryLimit() + 1);
        Awaitility.await("the broker never takes it out of the workers' hands, into imginject.dead unsealed")
                .atMost(Duration.ofSeconds(5))
                .until(() -> channel.messageCount(Wire.unansweredQueue(host)) == 1);

        try (WorkerFixture worker = startWorker()) {
            GetResponse dead = next(deadLetters);

            assertThat(header(dead, DeadLetterHeaders.SEALED)).isEqualTo("v1");
            assertThat(TestDeadLetterKey.open(dead.getProps(), dead.getBody())).isEqualTo(body);
            assertThat(ReplyCodec.decode(next(replies).getBody()).jobId()).isEqualTo("put-back");
        }
    }

    AMQP.BasicProperties.Builder properties(String jobId) {
        return new AMQP.BasicProperties.Builder()
                .contentType(Wire.CONTENT_TYPE)
                .messageId(jobId)
                .correlationId(jobId)
                .replyTo(replies);
    }

    /** Takes the one message of {@code queue} and puts it back, {@code times} times, as a worker that dies would. */
    void putBack(String queue, int times) throws Exception {
        for (int delivery = 0; delivery < times; delivery++) {
            GetResponse taken = Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> channel.basicGet(queue, false), r -> r != null);
            channel.basicNack(taken.getEnvelope().getDeliveryTag(), false, true);
        }
    }

    void awaitDeadLetteredByTheBroker() {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> channel.messageCount(Wire.queue(host)) == 0
                        && channel.messageCount(Wire.unansweredQueue(host)) == 1);
    }

    WorkerFixture startWorker() throws Exception {
        return WorkerFixture.start(
                host, directory, List.of(HandlerName.LOOP), UnaryOperator.identity(), UnaryOperator.identity());
    }

    GetResponse next(String queue) {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> channel.basicGet(queue, true), r -> r != null);
    }

    static String header(GetResponse message, String name) {
        Object value = message.getProps().getHeaders().get(name);
        return value == null ? null : value.toString();
    }
}
