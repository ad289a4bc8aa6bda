package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.Set;

/** An RPC endpoint: methods served under one namespace and version, as an oslo endpoint's {@code Target} says. */
interface OsloEndpoint {

    /** The namespace, or empty for the default one. */
    Optional<String> namespace();

    String version();

    Set<String> methods();

    /** Runs {@code request.method()}; the result is the reply's {@code result}. */
    JsonNode invoke(OsloRequest request) throws OsloFailure;
}
