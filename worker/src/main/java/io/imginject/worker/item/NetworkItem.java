package io.imginject.worker.item;

import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NetworkFlavour;
import io.imginject.protocol.NetworkLink;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders the structured network item into the guest's own format: the one the request names, else the one
 * {@link NetworkFlavourDetector} finds. Files already holding the rendered text, mode and owner are left alone,
 * so a second run writes nothing; the result says which flavour and why, and which files were written.
 */
public final class NetworkItem implements InjectionItem {
    private final NetworkConfig config;

    public NetworkItem(NetworkConfig config) {
        this.config = config;
    }

    @Override
    public ItemName name() {
        return ItemName.NETWORK;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        NetworkFlavourDetector.Detected detected = config.flavour()
                .map(f -> new NetworkFlavourDetector.Detected(f, "named in the request"))
                .orElseGet(() -> NetworkFlavourDetector.detect(guest));
        List<GuestPath> written = new ArrayList<>();
        List<GuestPath> unchanged = new ArrayList<>();
        for (NetworkFile file : renderer(detected.flavour()).render(config)) {
            boolean changed = GuestFiles.replace(
                    guest,
                    file.path(),
                    file.content().getBytes(StandardCharsets.UTF_8),
                    Optional.of(file.mode()),
                    Optional.of(0L),
                    Optional.of(0L));
            (changed ? written : unchanged).add(file.path());
        }
        if (detected.flavour() == NetworkFlavour.IFUPDOWN) {
            InterfacesSourceLine.ensure(guest).ifPresent(written::add);
        }
        StringBuilder message = new StringBuilder(detected.flavour() + " (" + detected.evidence() + "); ");
        message.append(written.isEmpty() ? "wrote nothing" : "wrote " + joined(written));
        if (!unchanged.isEmpty()) {
            message.append("; ").append(joined(unchanged)).append(" already held this config");
        }
        List<String> unnamed = config.links().stream()
                .filter(l -> l.name().isEmpty())
                .map(NetworkLink::id)
                .toList();
        if (detected.flavour() == NetworkFlavour.IFUPDOWN && !unnamed.isEmpty()) {
            message.append("; ifupdown knows interfaces by name only, and links ")
                    .append(String.join(", ", unnamed))
                    .append(" have no name, so their ids are used as interface names");
        }
        return ItemResult.ok(message.toString());
    }

    private static NetworkRenderer renderer(NetworkFlavour flavour) {
        return switch (flavour) {
            case IFUPDOWN -> new IfupdownRenderer();
            case NETWORKMANAGER -> new KeyfileRenderer();
            case IFCFG -> new IfcfgRenderer();
            case NETPLAN -> new NetplanRenderer();
            case NETWORKD -> new NetworkdRenderer();
        };
    }

    private static String joined(List<GuestPath> paths) {
        return String.join(", ", paths.stream().map(GuestPath::toString).toList());
    }
}
