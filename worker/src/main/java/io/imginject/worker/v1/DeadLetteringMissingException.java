package io.imginject.worker.v1;

import io.imginject.protocol.Wire;
import java.io.IOException;
import java.time.Duration;

/** The broker does not dead-letter from the host queues: the policies of definitions.json are not in place. */
public final class DeadLetteringMissingException extends IOException {
    private static final long serialVersionUID = 1L;

    DeadLetteringMissingException(String probe, Duration waited) {
        super("the broker does not dead-letter from the host queues: a message rejected from " + probe
                + " (named like a host queue) did not reach the exchange " + Wire.UNANSWERED_EXCHANGE
                + " within " + waited.toSeconds() + " s. The policy imginject-host-queues of"
                + " deploy/rabbitmq/definitions.json is missing from the worker's vhost, or a policy of higher priority"
                + " matches the host queues and replaces it; without it a request that expires or keeps killing"
                + " workers would be dropped unanswered. Import the policies (rabbitmqctl import_definitions"
                + " deploy/rabbitmq/definitions.json; deploy/setup-host does it for a local broker) or raise their"
                + " priority, then start the worker again");
    }
}
