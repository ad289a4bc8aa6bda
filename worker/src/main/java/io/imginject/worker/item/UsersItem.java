package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.GuestUser;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestAccounts;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Keys and passwords for users the guest's own passwd has: keys go to {@code <home>/.ssh/authorized_keys} with the
 * user's uid and gid and home directory from that passwd, passwords to {@code /etc/shadow}. A user the guest does not
 * have is not created (the item fails for that user, naming it, and still serves the others): making accounts is
 * the guest's business, with its own uid ranges, groups and skeleton. A home directory that does not exist is
 * refused the same way. The result also says when the guest's sshd will refuse what was injected.
 */
public final class UsersItem implements InjectionItem {
    private final List<GuestUser> users;
    private final Clock clock;

    public UsersItem(List<GuestUser> users, Clock clock) {
        this.users = List.copyOf(users);
        this.clock = clock;
    }

    @Override
    public ItemName name() {
        return ItemName.USERS;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        SshdConfig sshd = SshdConfig.read(guest);
        Map<String, String> keysDone = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Map<String, Secret> passwords = new LinkedHashMap<>();
        for (GuestUser user : users) {
            try {
                keysDone.put(user.name(), keys(guest, user));
                user.password().ifPresent(p -> passwords.put(user.name(), p));
                if (!user.keys().isEmpty()) {
                    sshd.refusalOfKey(user.name()).ifPresent(warnings::add);
                }
                if (user.password().isPresent()) {
                    sshd.refusalOfPassword(user.name()).ifPresent(warnings::add);
                }
            } catch (InjectException e) {
                failures.add(user.name() + ": " + e.getMessage());
            }
        }
        Set<String> passwordsHeld = passwords.isEmpty() ? Set.of() : ShadowPassword.set(guest, passwords, clock);
        List<String> done = new ArrayList<>();
        keysDone.forEach((name, keys) -> done.add(name + ": " + keys
                + (!passwords.containsKey(name)
                        ? ""
                        : passwordsHeld.contains(name) ? ", password already set" : ", password set")));
        String message = String.join("; ", done) + (warnings.isEmpty() ? "" : "; " + String.join("; ", warnings));
        if (!failures.isEmpty()) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    (users.size() - failures.size()) + " of " + users.size() + " users done"
                            + (done.isEmpty() ? "" : " (" + message + ")") + "; " + String.join("; ", failures));
        }
        return ItemResult.ok(message);
    }

    private static String keys(GuestFs guest, GuestUser user) {
        GuestAccounts.Account account = GuestAccounts.find(guest, user.name())
                .orElseThrow(() -> new InjectException(
                        ErrorCode.GUEST_CONTENT_INVALID,
                        "the guest's " + GuestAccounts.PASSWD
                                + " has no such user; this worker does not create users"));
        GuestPath home = home(guest, account);
        if (user.keys().isEmpty()) {
            return "no keys";
        }
        AuthorizedKeys keys = new AuthorizedKeys(home, account);
        int added = 0;
        for (SshPublicKey key : user.keys()) {
            added += keys.add(guest, key) ? 1 : 0;
        }
        return added + " of " + user.keys().size() + " keys added to " + keys.file() + " (" + account.uid() + ":"
                + account.gid() + ")";
    }

    private static GuestPath home(GuestFs guest, GuestAccounts.Account account) {
        GuestPath home;
        try {
            home = GuestPath.of(account.home());
        } catch (IllegalArgumentException e) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    "the home directory in the guest's passwd is not a plain absolute path");
        }
        Optional<FileStat> stat = guest.stat(home);
        if (stat.isEmpty() || !stat.get().isDirectory()) {
            throw new InjectException(
                    ErrorCode.GUEST_CONTENT_INVALID,
                    "home directory " + home + " is "
                            + stat.map(FileStat::describe).orElse("missing")
                            + ", not a directory; this worker does not create it");
        }
        return home;
    }
}
