package io.imginject.worker.oslo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.UnreadableJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * oslo.messaging's message envelope: {@code {"oslo.version": "2.0", "oslo.message": "<JSON text>"}} around the inner
 * message, or the inner message alone (the legacy 1.0 form). Reads requests and writes replies. Why a body is
 * refused is told without quoting it; the ids it carries ({@code _msg_id}, {@code _unique_id}), which go into logs
 * and replies, must look like ids, and its reply queue must be a name a queue can have (at most 255 bytes).
 */
final class OsloEnvelope {
    static final String ENVELOPE_VERSION = "2.0";
    private static final JsonMapper JSON = new JsonMapper();
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,255}");
    private static final int MAX_QUEUE_NAME_BYTES = 255;

    private OsloEnvelope() {}

    /**
     * Unpacks a request body.
     *
     * @throws MalformedOsloMessage when the body is not an oslo request; it carries the call's reply address when
     *     that much could be read, so the caller can still be told
     */
    static OsloRequest unpack(byte[] body) throws MalformedOsloMessage {
        ObjectNode inner = inner(body);
        Optional<String> msgId = text(inner, "_msg_id");
        Optional<String> replyQueue = text(inner, "_reply_q");
        Optional<String> uniqueId = text(inner, "_unique_id");
        if (!msgId.map(OsloEnvelope::isId).orElse(true)
                || !uniqueId.map(OsloEnvelope::isId).orElse(true)) {
            throw new MalformedOsloMessage(
                    "_msg_id and _unique_id must be ids of up to 255 letters, digits, '.', '_', ':' or '-'",
                    Optional.empty());
        }
        if (replyQueue.isPresent()
                && (replyQueue.get().isEmpty()
                        || replyQueue.get().getBytes(StandardCharsets.UTF_8).length > MAX_QUEUE_NAME_BYTES)) {
            throw new MalformedOsloMessage(
                    "_reply_q must be a queue name of 1 to " + MAX_QUEUE_NAME_BYTES + " bytes", Optional.empty());
        }
        Optional<ReplyAddress> replyTo = msgId.flatMap(id -> replyQueue.map(queue -> new ReplyAddress(id, queue)));
        JsonNode method = inner.get("method");
        if (method == null || !method.isTextual() || method.asText().isEmpty()) {
            throw new MalformedOsloMessage("the message names no method", replyTo);
        }
        JsonNode args = inner.get("args");
        if (args != null && !args.isNull() && !args.isObject()) {
            throw new MalformedOsloMessage("args must be an object of keyword arguments", replyTo);
        }
        JsonNode timeout = inner.get("_timeout");
        Optional<Integer> callMonitorTimeout = timeout != null && timeout.canConvertToInt()
                ? Optional.of(timeout.asInt())
                : timeout != null && timeout.isTextual() && timeout.asText().matches("[0-9]{1,9}")
                        ? Optional.of(Integer.parseInt(timeout.asText()))
                        : Optional.empty();
        Map<String, Object> context = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : inner.properties()) {
            if (field.getKey().startsWith("_context_")) {
                context.put(
                        field.getKey().substring("_context_".length()),
                        JSON.convertValue(field.getValue(), Object.class));
            }
        }
        return new OsloRequest(
                method.asText(),
                args == null || args.isNull() ? JSON.createObjectNode() : (ObjectNode) args,
                text(inner, "namespace"),
                text(inner, "version").orElse("1.0"),
                replyTo,
                callMonitorTimeout,
                uniqueId.orElseGet(() -> UUID.randomUUID().toString().replace("-", "")),
                context);
    }

    /** Whether {@code text} looks like an id: what may go into a log line as a message's name. */
    static boolean isId(String text) {
        return ID.matcher(text).matches();
    }

    private static ObjectNode inner(byte[] body) throws MalformedOsloMessage {
        JsonNode outer = parse(body);
        if (outer.has("oslo.version") && outer.has("oslo.message")) {
            String version = outer.get("oslo.version").asText();
            if (!Versions.isCompatible(ENVELOPE_VERSION, version)) {
                throw new MalformedOsloMessage(
                        (Versions.isValid(version) ? "envelope version " + version : "the envelope's oslo.version")
                                + " is not compatible with " + ENVELOPE_VERSION,
                        Optional.empty());
            }
            JsonNode message = outer.get("oslo.message");
            if (!message.isTextual()) {
                throw new MalformedOsloMessage("oslo.message must be a JSON string", Optional.empty());
            }
            return object(parse(message.asText().getBytes(StandardCharsets.UTF_8)));
        }
        return object(outer);
    }

    private static JsonNode parse(byte[] body) throws MalformedOsloMessage {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new MalformedOsloMessage("the body is empty", Optional.empty());
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new MalformedOsloMessage("the body is not JSON: " + UnreadableJson.why(e), Optional.empty());
        } catch (IOException e) {
            throw new MalformedOsloMessage(
                    "the body could not be read as JSON: it is not valid UTF-8", Optional.empty());
        }
    }

    private static ObjectNode object(JsonNode node) throws MalformedOsloMessage {
        if (!node.isObject()) {
            throw new MalformedOsloMessage("the message is not a JSON object", Optional.empty());
        }
        return (ObjectNode) node;
    }

    private static Optional<String> text(ObjectNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    /** A reply body: the final one with a result or failure, or a heartbeat ({@code ending: false}). */
    static byte[] reply(String msgId, JsonNode result, Optional<OsloFailure> failure, boolean ending) {
        ObjectNode inner = JSON.createObjectNode();
        inner.set("result", result);
        if (failure.isPresent()) {
            inner.put("failure", failure.get().toFailureString());
        } else {
            inner.putNull("failure");
        }
        inner.put("ending", ending);
        inner.put("_msg_id", msgId);
        inner.put("_unique_id", UUID.randomUUID().toString().replace("-", ""));
        ObjectNode outer = JSON.createObjectNode();
        outer.put("oslo.version", ENVELOPE_VERSION);
        try {
            outer.put("oslo.message", JSON.writeValueAsString(inner));
            return JSON.writeValueAsBytes(outer);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A body that is not an oslo request. */
    static final class MalformedOsloMessage extends Exception {
        private final Optional<ReplyAddress> replyTo;

        MalformedOsloMessage(String message, Optional<ReplyAddress> replyTo) {
            super(message);
            this.replyTo = replyTo;
        }

        /** Where the caller waits, when that much of the message could be read. */
        Optional<ReplyAddress> replyTo() {
            return replyTo;
        }
    }
}
