package io.imginject.worker.item;

import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;

/** Replaces the guest's {@code /etc/network/interfaces} (Debian ifupdown) with the request's network config. */
public final class NetItem implements InjectionItem {
    static final GuestPath INTERFACES = GuestPath.of("/etc/network/interfaces");

    private final String interfaces;

    public NetItem(String interfaces) {
        this.interfaces = interfaces;
    }

    @Override
    public ItemName name() {
        return ItemName.NET;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        return GuestFiles.replace(guest, INTERFACES, interfaces.getBytes(StandardCharsets.UTF_8))
                ? ItemResult.ok("wrote " + INTERFACES)
                : ItemResult.ok(INTERFACES + " already held this config");
    }
}
