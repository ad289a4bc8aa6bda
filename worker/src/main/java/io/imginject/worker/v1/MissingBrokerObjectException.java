package io.imginject.worker.v1;

import java.io.IOException;

/** A worker that may not declare (--no-declare) found an exchange or queue of its host missing on the broker. */
public final class MissingBrokerObjectException extends IOException {
    private static final long serialVersionUID = 1L;

    MissingBrokerObjectException(String kind, String name, String host) {
        super("the " + kind + " " + name + " is not on the broker, and with no-declare this worker declares nothing:"
                + " import deploy/rabbitmq/definitions.json and this host's objects (deploy/rabbitmq/host-definitions "
                + host + " VHOST | rabbitmqctl import_definitions) into the worker's vhost, or run the worker"
                + " without no-declare as a user that may configure");
    }
}
