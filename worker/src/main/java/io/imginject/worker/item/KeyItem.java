package io.imginject.worker.item;

import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.guest.GuestAccounts;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;

/**
 * Adds an SSH key to root's {@code /root/.ssh/authorized_keys} (see {@link AuthorizedKeys}), and says so when the
 * guest's sshd will not let root in with it.
 */
public final class KeyItem implements InjectionItem {
    static final GuestPath ROOT_HOME = GuestPath.of("/root");
    static final GuestPath AUTHORIZED_KEYS = GuestPath.of("/root/.ssh/authorized_keys");

    private final SshPublicKey key;

    public KeyItem(SshPublicKey key) {
        this.key = key;
    }

    @Override
    public ItemName name() {
        return ItemName.KEY;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        boolean added = new AuthorizedKeys(ROOT_HOME, GuestAccounts.root(guest)).add(guest, key);
        String message = added
                ? "key added to " + AUTHORIZED_KEYS
                : "key already present in " + AUTHORIZED_KEYS + "; nothing added";
        return ItemResult.ok(message
                + SshdConfig.read(guest)
                        .refusalOfKey("root")
                        .map(why -> "; " + why)
                        .orElse(""));
    }
}
