package io.imginject.worker.broker;

import java.io.IOException;

/**
 * The broker refused to declare a queue because it exists with other arguments: most often a queue an earlier
 * version declared with the dead-letter arguments that policies now set. The message names the queue and what to do.
 */
public final class QueueArgumentsException extends IOException {
    private static final long serialVersionUID = 1L;

    QueueArgumentsException(String queue, String brokerReason, Throwable cause) {
        super(
                "queue " + queue + " exists with other arguments than this worker declares (the broker says: "
                        + brokerReason + "). Queues made by imginject before version 2 carry x-dead-letter-*,"
                        + " x-overflow and x-delivery-limit arguments, which policies set now"
                        + " (deploy/rabbitmq/definitions.json): stop this host's workers, wait until " + queue
                        + " is empty, delete it (rabbitmqctl delete_queue " + queue + " --if-empty), make sure the"
                        + " policies are on the broker (README, Broker objects the operator owns), and start the"
                        + " workers again",
                cause);
    }
}
