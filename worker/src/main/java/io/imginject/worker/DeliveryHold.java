package io.imginject.worker;

import java.time.Duration;

/**
 * The longest a worker holds a delivery before it acks it, set against the broker's consumer timeout: RabbitMQ
 * closes the channel of a consumer that holds a delivery longer and delivers the request again while the job still
 * runs. AMQP does not tell the broker's {@code consumer_timeout}, so the worker takes it as a setting.
 *
 * <p>A job ends by its deadline ({@code job-timeout}), which also bounds its wait for the image lock, the handler
 * chain's retries and every appliance launch; a host tool running at the deadline is not cut short and may take one
 * {@code command-timeout} more; then its dead letter and reply are published with confirms, retried for about
 * {@link #PUBLISHING} while the broker nacks them. A twin delivery of a request that runs on another worker of the
 * host waits for the request's claim up to {@link #CLAIM_MARGIN} past the job's deadline, then sends the kept reply:
 * whichever of the two margins is longer counts.
 */
final class DeliveryHold {
    /** What publishing a dead letter and a reply may take while the broker is up but nacks (PublishRetry). */
    static final Duration PUBLISHING = Duration.ofMinutes(1);

    /** Past its job's deadline, how long a delivery may still hold its claim: dead-lettering and keeping its reply. */
    static final Duration CLAIM_MARGIN = Duration.ofMinutes(2);

    private DeliveryHold() {}

    /** Fails with what adds up to what, and what to change, when a job could hold its delivery too long. */
    static void check(WorkerConfig config) {
        Duration pastDeadline =
                config.commandTimeout().compareTo(CLAIM_MARGIN) >= 0 ? config.commandTimeout() : CLAIM_MARGIN;
        Duration longest = config.jobTimeout().plus(pastDeadline).plus(PUBLISHING);
        if (longest.compareTo(config.brokerConsumerTimeout()) <= 0) {
            return;
        }
        Duration jobTimeoutThatFits =
                config.brokerConsumerTimeout().minus(pastDeadline).minus(PUBLISHING);
        throw new ConsumerTimeoutException("a job could hold its delivery for " + longest.toSeconds()
                + " s: job-timeout "
                + config.jobTimeout().toSeconds() + " s (its deadline, which also bounds its wait for the image lock,"
                + " lock-wait " + config.lockWait().toSeconds() + " s, the handler retries, retry-max-total-ms "
                + config.retry().maxTotal().toMillis() + ", and each appliance launch, guestfs-launch-timeout "
                + config.guestfs().launchTimeout().toSeconds() + " s) + " + pastDeadline.toSeconds()
                + " s past the deadline (command-timeout "
                + config.commandTimeout().toSeconds()
                + " s: a host tool running at the deadline is not cut short; a twin delivery waits up to "
                + CLAIM_MARGIN.toSeconds() + " s past it for the request's claim) + "
                + PUBLISHING.toSeconds() + " s publishing its dead letter and reply. That is more than"
                + " broker-consumer-timeout " + config.brokerConsumerTimeout().toSeconds() + " s, after which the"
                + " broker closes the worker's channel and delivers the request again while it still runs. "
                + (!jobTimeoutThatFits.isNegative() && !jobTimeoutThatFits.isZero()
                        ? "Lower job-timeout to at most " + jobTimeoutThatFits.toSeconds() + " s, or"
                        : "Lower command-timeout, or")
                + " raise the broker's consumer_timeout (rabbitmq.conf) and set broker-consumer-timeout to it");
    }
}
