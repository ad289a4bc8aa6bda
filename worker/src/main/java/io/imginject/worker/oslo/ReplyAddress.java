package io.imginject.worker.oslo;

import io.imginject.worker.pipeline.ReplyQueue;

/**
 * Where a call's replies go: the caller's reply queue, and the call's id that every reply carries.
 *
 * @param msgId the request's {@code _msg_id}
 * @param queue the request's {@code _reply_q}
 */
public record ReplyAddress(String msgId, String queue) implements ReplyQueue {}
