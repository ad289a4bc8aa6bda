package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a request's items to an open guest in the fixed order key, net, network, hostname, metadata,
 * admin_password, users, nocloud, files, and
 * reports each one. A failing item does not stop the others, unless the guest's filesystem reported corruption:
 * then nothing more is written and the items left are skipped. When the guest uses SELinux and an item changed
 * it, a first-boot relabel is scheduled and the changed items' messages say so.
 */
public final class ItemRunner {
    private static final Logger log = LoggerFactory.getLogger(ItemRunner.class);

    private final Clock clock;

    public ItemRunner(Clock clock) {
        this.clock = clock;
    }

    public Map<ItemName, ItemResult> run(Injections inject, GuestFs guest) {
        ChangeTrackingGuestFs tracked = new ChangeTrackingGuestFs(guest);
        Map<ItemName, ItemResult> results = new EnumMap<>(ItemName.class);
        List<ItemName> changed = new ArrayList<>();
        boolean filesystemFailed = false;
        for (InjectionItem item : items(inject)) {
            if (filesystemFailed) {
                results.put(item.name(), ItemResult.skipped("not run: the guest's filesystem reported corruption"));
                continue;
            }
            ItemResult result = apply(item, tracked);
            results.put(item.name(), result);
            filesystemFailed = result.isFailed() && result.code() == ErrorCode.FILESYSTEM_ERROR;
            if (tracked.takeChanged() && !result.isFailed()) {
                changed.add(item.name());
            }
        }
        if (!changed.isEmpty() && !filesystemFailed) {
            try {
                Optional<String> relabel = SelinuxRelabel.scheduleIfNeeded(guest);
                relabel.ifPresent(note -> changed.forEach(name ->
                        results.put(name, ItemResult.ok(results.get(name).message() + "; " + note))));
            } catch (InjectException e) {
                changed.forEach(name -> results.put(
                        name,
                        ItemResult.failed(
                                e.code(),
                                results.get(name).message() + ", but scheduling the SELinux relabel failed: "
                                        + e.getMessage())));
            }
        }
        return results;
    }

    private List<InjectionItem> items(Injections inject) {
        List<InjectionItem> items = new ArrayList<>();
        inject.key().ifPresent(key -> items.add(new KeyItem(key)));
        inject.net().ifPresent(net -> items.add(new NetItem(net)));
        inject.network().ifPresent(network -> items.add(new NetworkItem(network)));
        inject.hostname().ifPresent(hostname -> items.add(new HostnameItem(hostname)));
        inject.metadata().ifPresent(metadata -> items.add(new MetadataItem(metadata)));
        inject.adminPassword().ifPresent(password -> items.add(new PasswordItem(password, clock)));
        if (!inject.users().isEmpty()) {
            items.add(new UsersItem(inject.users(), clock));
        }
        inject.nocloud().ifPresent(seed -> items.add(new NoCloudItem(seed, inject.network(), inject.hostname())));
        if (!inject.files().isEmpty()) {
            items.add(new FilesItem(inject.files()));
        }
        return items;
    }

    private static ItemResult apply(InjectionItem item, GuestFs guest) {
        try {
            return item.apply(guest);
        } catch (InjectException e) {
            log.info("item {} failed: {} {}", item.name(), e.code(), e.getMessage());
            return ItemResult.failed(e.code(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("item {} failed unexpectedly", item.name(), e);
            return ItemResult.failed(
                    ErrorCode.INTERNAL_ERROR, "unexpected " + e.getClass().getSimpleName() + "; see the worker log");
        }
    }
}
