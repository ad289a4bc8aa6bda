package io.imginject.protocol;

import java.io.IOException;

/** The broker had no queue for the request's host: no worker for that host has ever declared its queue. */
public final class UnroutableRequestException extends IOException {
    public UnroutableRequestException(String host) {
        super("no queue is bound for host \"" + host + "\" (routing key " + Wire.routingKey(host) + " on exchange "
                + Wire.EXCHANGE + "); has a worker for that host ever started?");
    }
}
