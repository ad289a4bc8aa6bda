package io.imginject.worker.dlq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.RequestDecoder;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.RequestRejectedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * A dead letter's body as it may be shown: a v1 request with its passwords and file contents replaced by
 * placeholders; anything else only by size, since it may hold secrets the worker cannot find.
 */
final class RedactedBody {
    private static final JsonMapper JSON = new JsonMapper();

    private RedactedBody() {}

    static String of(byte[] body) {
        try {
            ObjectNode request = RequestEncoder.toJson(RequestDecoder.decode(body));
            JsonNode inject = request.path("inject");
            if (inject.has("admin_password")) {
                ((ObjectNode) inject).put("admin_password", "<redacted>");
            }
            if (inject.path("nocloud").has("user_data")) {
                ((ObjectNode) inject.get("nocloud")).put("user_data", "<redacted>");
            }
            for (JsonNode user : inject.path("users")) {
                if (user.has("password")) {
                    ((ObjectNode) user).put("password", "<redacted>");
                }
            }
            for (JsonNode file : inject.path("files")) {
                int bytes = Base64.getDecoder().decode(file.get("content_b64").asText()).length;
                ((ObjectNode) file).put("content_b64", "<" + bytes + " bytes redacted>");
            }
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(request);
        } catch (RequestRejectedException e) {
            return "(" + body.length
                    + " bytes, not a valid v1 request, not shown: it may hold secrets; --reveal-body shows it)";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
