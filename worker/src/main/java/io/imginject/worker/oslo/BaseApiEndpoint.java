package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.ErrorCode;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** nova's {@code BaseRPCAPI}: {@code ping(arg)} in namespace {@code baseapi}, version 1.1. */
final class BaseApiEndpoint implements OsloEndpoint {
    private static final JsonMapper JSON = new JsonMapper();

    private final String service;

    /** @param service the name ping answers with (nova-compute answers with its topic, {@code compute}) */
    BaseApiEndpoint(String service) {
        this.service = service;
    }

    @Override
    public Optional<String> namespace() {
        return Optional.of("baseapi");
    }

    @Override
    public String version() {
        return "1.1";
    }

    @Override
    public Set<String> methods() {
        return Set.of("ping");
    }

    @Override
    public JsonNode invoke(OsloRequest request) throws OsloFailure {
        if (!request.args().has("arg")) {
            throw new OsloFailure(
                    ErrorCode.INVALID_REQUEST,
                    "TypeError",
                    "builtins",
                    "ping() missing 1 required positional argument: 'arg'",
                    List.of());
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("service", service);
        result.set("arg", request.args().get("arg"));
        return result;
    }
}
