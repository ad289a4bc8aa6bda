package io.imginject.protocol;

import java.util.List;
import java.util.Optional;

/**
 * Keys and a password for a user the guest's passwd already has (not root: root's are {@code key} and
 * {@code admin_password}).
 *
 * @param name the user's login name
 * @param keys SSH public keys for the user's {@code ~/.ssh/authorized_keys}
 * @param password the user's new password, set in {@code /etc/shadow}
 */
public record GuestUser(String name, List<SshPublicKey> keys, Optional<Secret> password) {

    public GuestUser {
        keys = List.copyOf(keys);
    }
}
