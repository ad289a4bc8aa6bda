package io.imginject.worker.item;

import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.Secret;
import io.imginject.worker.guest.GuestFs;
import java.time.Clock;
import java.util.Map;

/**
 * Sets root's password in the guest's {@code /etc/shadow} (see {@link ShadowPassword}), and says so when the
 * guest's sshd will not take it.
 */
public final class PasswordItem implements InjectionItem {
    private final Secret password;
    private final Clock clock;

    public PasswordItem(Secret password, Clock clock) {
        this.password = password;
        this.clock = clock;
    }

    @Override
    public ItemName name() {
        return ItemName.ADMIN_PASSWORD;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        boolean held =
                !ShadowPassword.set(guest, Map.of("root", password), clock).isEmpty();
        return ItemResult.ok((held ? "root password already set in " : "root password set in ")
                + ShadowPassword.SHADOW + " (SHA-512 crypt)"
                + SshdConfig.read(guest)
                        .refusalOfPassword("root")
                        .map(why -> "; " + why)
                        .orElse(""));
    }
}
