package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.PlainNames;
import java.util.Map;
import java.util.Optional;

/**
 * An oslo.messaging RPC request, unpacked as oslo's AMQP listener unpacks it.
 *
 * @param method the endpoint method
 * @param args the keyword arguments
 * @param namespace the endpoint namespace, or empty for the default one
 * @param version the requested version ("1.0" when the message has none)
 * @param replyTo where a call's replies go; empty for a cast
 * @param callMonitorTimeout the caller's call-monitor timeout in seconds, if it set one
 * @param uniqueId the message's {@code _unique_id}, for duplicate suppression; one made up for a message without
 * @param context the request context ({@code _context_*} keys without the prefix)
 */
public record OsloRequest(
        String method,
        ObjectNode args,
        Optional<String> namespace,
        String version,
        Optional<ReplyAddress> replyTo,
        Optional<Integer> callMonitorTimeout,
        String uniqueId,
        Map<String, Object> context) {

    /** The id its job is known by, in logs and in the native reply: a call's {@code _msg_id}, else its {@code _unique_id}. */
    public String jobId() {
        return replyTo.map(ReplyAddress::msgId).orElse(uniqueId);
    }

    /** Whether the caller waits for a reply. */
    public boolean isCall() {
        return replyTo.isPresent();
    }

    /** The context entry {@code key} as text, for logs (never the auth token), when it looks like an id. */
    public Optional<String> contextId(String key) {
        return Optional.ofNullable(context.get(key)).map(String::valueOf).filter(OsloEnvelope::isId);
    }

    /** The method, the version and the namespace as far as they are plain names, and the message id: for logs. */
    @Override
    public String toString() {
        return (PlainNames.isPlain(method) ? method : "(a method that is no identifier)") + " v"
                + (Versions.isValid(version) ? version : "?")
                + namespace.map(n -> " in " + (PlainNames.isPlain(n) ? n : "?")).orElse("")
                + replyTo.map(to -> " call " + to.msgId()).orElse(" cast");
    }
}
