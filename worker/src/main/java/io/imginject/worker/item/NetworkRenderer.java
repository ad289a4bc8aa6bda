package io.imginject.worker.item;

import io.imginject.protocol.NetworkConfig;
import java.util.List;

/** Renders the structured network item into one flavour's configuration files. */
interface NetworkRenderer {
    String HEADER = "written by imginject from the request's network item";

    List<NetworkFile> render(NetworkConfig config);
}
