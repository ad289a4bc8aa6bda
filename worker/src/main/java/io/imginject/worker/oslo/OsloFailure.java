package io.imginject.worker.oslo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.PlainNames;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A failure as oslo.messaging serializes it into a reply's {@code failure} field: a JSON string of
 * {@code {class, module, message, tb, args, kwargs}}. A caller whose {@code allowed_remote_exmods} lacks the module
 * (any client for imginject's and oslo's own modules) raises {@code RemoteError(exc_type=class, value=message)}.
 */
public final class OsloFailure extends Exception {
    /** The module of failures raised by imginject itself. */
    public static final String IMGINJECT_MODULE = "imginject.errors";

    private static final String DISPATCHER_MODULE = "oslo_messaging.rpc.dispatcher";
    private static final JsonMapper JSON = new JsonMapper();

    private final ErrorCode code;
    private final String className;
    private final String module;
    private final List<String> traceback;

    /**
     * @param code the imginject error code, for dead-letter headers and logs
     * @param className the exception class the caller sees ({@code RemoteError.exc_type})
     * @param module the module the class is said to live in
     * @param traceback lines the caller sees as the remote traceback
     */
    public OsloFailure(ErrorCode code, String className, String module, String message, List<String> traceback) {
        super(message);
        this.code = code;
        this.className = className;
        this.module = module;
        this.traceback = List.copyOf(traceback);
    }

    /** A failure of imginject's own, named after its error code: {@code image_not_found} is {@code ImageNotFound}. */
    public static OsloFailure of(ErrorCode code, String message, List<String> traceback) {
        StringBuilder name = new StringBuilder();
        for (String word : code.wireName().split("_", -1)) {
            name.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
        }
        return new OsloFailure(code, name.toString(), IMGINJECT_MODULE, message, traceback);
    }

    /** oslo's own text for a method no endpoint has. */
    static OsloFailure noSuchMethod(String method) {
        return new OsloFailure(
                ErrorCode.INVALID_REQUEST,
                "NoSuchMethod",
                DISPATCHER_MODULE,
                "Endpoint does not support RPC method "
                        + (PlainNames.isPlain(method) ? method : "(a name that is no identifier)"),
                List.of());
    }

    /** oslo's own text for a version or namespace no endpoint serves. */
    static OsloFailure unsupportedVersion(String version, String method) {
        return new OsloFailure(
                ErrorCode.UNSUPPORTED_VERSION,
                "UnsupportedVersion",
                DISPATCHER_MODULE,
                "Endpoint does not support RPC version " + (Versions.isValid(version) ? version : "(not a version)")
                        + ". Attempted method: "
                        + (PlainNames.isPlain(method) ? method : "(a name that is no identifier)"),
                List.of());
    }

    public ErrorCode code() {
        return code;
    }

    public String className() {
        return className;
    }

    public String module() {
        return module;
    }

    /** The failure as the JSON string that goes into a reply's {@code failure}. */
    String toFailureString() {
        ObjectNode failure = JSON.createObjectNode();
        failure.put("class", className);
        failure.put("module", module);
        failure.put("message", getMessage());
        ArrayNode tb = failure.putArray("tb");
        traceback.forEach(tb::add);
        failure.putArray("args").add(getMessage());
        failure.putObject("kwargs");
        try {
            return JSON.writeValueAsString(failure);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
