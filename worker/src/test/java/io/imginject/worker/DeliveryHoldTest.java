package io.imginject.worker;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.BrokerAddresses;
import io.imginject.protocol.HandlerName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A worker does not start when a job could hold its delivery past the broker's consumer timeout. */
@Tag("fast")
class DeliveryHoldTest {

    static WorkerConfig.Builder config() {
        return WorkerConfig.builder(
                BrokerAddresses.parse("amqp://guest:guest@127.0.0.1:5672/%2f"),
                "h1",
                List.of(Path.of("/srv/images")),
                List.of(HandlerName.LOOP));
    }

    @Test
    void the_defaults_fit_rabbitmqs_default_consumer_timeout() {
        assertThatCode(() -> DeliveryHold.check(config().build())).doesNotThrowAnyException();
    }

    @Test
    void a_job_timeout_as_long_as_the_consumer_timeout_is_refused_with_the_sum_and_what_to_change() {
        WorkerConfig config = config().jobTimeout(Duration.ofMinutes(30)).build();

        assertThatThrownBy(() -> DeliveryHold.check(config))
                .isInstanceOf(ConsumerTimeoutException.class)
                .hasMessageStartingWith("a job could hold its delivery for 1980 s: job-timeout 1800 s (its deadline,"
                        + " which also bounds its wait for the image lock, lock-wait 600 s, the handler retries,"
                        + " retry-max-total-ms 60000, and each appliance launch, guestfs-launch-timeout 180 s)"
                        + " + 120 s past the deadline (command-timeout 120 s: a host tool running at the deadline is"
                        + " not cut short; a twin delivery waits up to 120 s past it for the request's claim)"
                        + " + 60 s publishing its dead letter and reply. That is more than broker-consumer-timeout"
                        + " 1800 s")
                .hasMessageEndingWith("Lower job-timeout to at most 1620 s, or raise the broker's consumer_timeout"
                        + " (rabbitmq.conf) and set broker-consumer-timeout to it");
    }

    @Test
    void a_broker_with_a_longer_consumer_timeout_takes_longer_jobs() {
        WorkerConfig config = config().jobTimeout(Duration.ofHours(2))
                .brokerConsumerTimeout(Duration.ofHours(3))
                .build();

        assertThatCode(() -> DeliveryHold.check(config)).doesNotThrowAnyException();
    }

    @Test
    void a_job_that_fits_exactly_is_taken() {
        WorkerConfig config = config().jobTimeout(Duration.ofMinutes(27)).build();

        assertThatCode(() -> DeliveryHold.check(config)).doesNotThrowAnyException();
    }

    @Test
    void a_short_command_timeout_still_counts_the_wait_of_a_twin_delivery_for_the_requests_claim() {
        WorkerConfig config = config().jobTimeout(Duration.ofSeconds(1660))
                .commandTimeout(Duration.ofSeconds(10))
                .build();

        assertThatThrownBy(() -> DeliveryHold.check(config))
                .isInstanceOf(ConsumerTimeoutException.class)
                .hasMessageStartingWith("a job could hold its delivery for 1840 s")
                .hasMessageContaining("Lower job-timeout to at most 1620 s");
    }

    @Test
    void a_command_timeout_that_alone_exceeds_the_consumer_timeout_says_to_lower_it() {
        WorkerConfig config = config().jobTimeout(Duration.ofSeconds(60))
                .commandTimeout(Duration.ofMinutes(40))
                .build();

        assertThatThrownBy(() -> DeliveryHold.check(config))
                .isInstanceOf(ConsumerTimeoutException.class)
                .hasMessageContaining("Lower command-timeout, or raise the broker's consumer_timeout");
    }
}
