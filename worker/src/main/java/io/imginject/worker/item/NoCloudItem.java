package io.imginject.worker.item;

import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.NetworkConfig;
import io.imginject.protocol.NoCloudSeed;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a cloud-init NoCloud seed, which cloud-init in the guest applies at first boot without a metadata
 * service: {@code meta-data} with the instance id (and the request's host name as {@code local-hostname}),
 * {@code user-data} as given, and, when the request has a structured network item, {@code network-config} as a
 * netplan version 2 document, the format cloud-init takes there. All three are 0600 root: user-data may hold
 * secrets. Files already holding this seed are left alone.
 */
public final class NoCloudItem implements InjectionItem {
    static final GuestPath SEED = GuestPath.of("/var/lib/cloud/seed/nocloud");

    private final NoCloudSeed seed;
    private final Optional<NetworkConfig> network;
    private final Optional<String> hostname;

    public NoCloudItem(NoCloudSeed seed, Optional<NetworkConfig> network, Optional<String> hostname) {
        this.seed = seed;
        this.network = network;
        this.hostname = hostname;
    }

    @Override
    public ItemName name() {
        return ItemName.NOCLOUD;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        Map<GuestPath, byte[]> files = new LinkedHashMap<>();
        files.put(
                SEED.resolve("meta-data"),
                utf8("instance-id: " + seed.instanceId() + "\n"
                        + hostname.map(h -> "local-hostname: " + h + "\n").orElse("")));
        files.put(SEED.resolve("user-data"), seed.userData().reveal());
        network.ifPresent(n -> files.put(SEED.resolve("network-config"), utf8(NetplanRenderer.document(n))));
        List<String> written = new ArrayList<>();
        for (Map.Entry<GuestPath, byte[]> file : files.entrySet()) {
            if (GuestFiles.replace(
                    guest, file.getKey(), file.getValue(), Optional.of(0600), Optional.of(0L), Optional.of(0L))) {
                written.add(file.getKey().toString());
            }
        }
        return ItemResult.ok("NoCloud seed for instance " + seed.instanceId() + ": "
                + (written.isEmpty() ? "already in " + SEED : "wrote " + String.join(", ", written))
                + (network.isEmpty() ? "; no network-config (the request has no network item)" : ""));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
