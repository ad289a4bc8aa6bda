package io.imginject.worker.broker;

import java.io.IOException;

/**
 * The broker nacked a publish: the queue it went to refused it (a queue at its length limit with
 * {@code x-overflow: reject-publish}, say) or could not store it. That may pass, so it is retried; a reply still
 * nacked after the retries goes to a destination that will not take it, and the request is not requeued for it.
 */
public final class PublishNackedException extends IOException {
    PublishNackedException(String message) {
        super(message);
    }
}
