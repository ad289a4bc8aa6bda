package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Picks the endpoint for a request by oslo's rules ({@code RPCDispatcher.dispatch}): the namespace must match
 * exactly, the version must be compatible, and a method whose name starts with {@code _} is never callable. A
 * method no compatible endpoint has is {@code NoSuchMethod}; no compatible endpoint at all is
 * {@code UnsupportedVersion}.
 */
final class RpcDispatcher {
    private final List<OsloEndpoint> endpoints;

    RpcDispatcher(List<OsloEndpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    JsonNode dispatch(OsloRequest request) throws OsloFailure {
        boolean compatibleEndpoint = false;
        for (OsloEndpoint endpoint : endpoints) {
            if (!endpoint.namespace().equals(request.namespace())
                    || !Versions.isCompatible(endpoint.version(), request.version())) {
                continue;
            }
            if (!request.method().startsWith("_") && endpoint.methods().contains(request.method())) {
                return endpoint.invoke(request);
            }
            compatibleEndpoint = true;
        }
        throw compatibleEndpoint
                ? OsloFailure.noSuchMethod(request.method())
                : OsloFailure.unsupportedVersion(request.version(), request.method());
    }
}
