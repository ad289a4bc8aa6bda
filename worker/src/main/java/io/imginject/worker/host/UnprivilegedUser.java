package io.imginject.worker.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host user a userspace filesystem driver runs as: an account of its own, with no login, no home and no
 * groups but its own, so that what the driver can reach on the host is what that user owns (nothing but the
 * device and mount point it is lent for one job).
 */
public record UnprivilegedUser(String name, int uid, int gid) {

    public UnprivilegedUser {
        if (uid == 0 || gid == 0) {
            throw new IllegalArgumentException(
                    "the filesystem driver's user " + name + " is root or in root's group; give it a user of its own");
        }
    }

    /** The user called {@code name} in the host's user database, if there is one. */
    public static Optional<UnprivilegedUser> lookup(String name, ProcessRunner runner) {
        CommandResult entry = runner.runAllowingFailure(List.of("getent", "passwd", name));
        if (!entry.succeeded()) {
            return Optional.empty();
        }
        String[] fields = entry.stdout().strip().split(":", -1);
        if (fields.length < 4) {
            return Optional.empty();
        }
        return Optional.of(new UnprivilegedUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
    }

    /**
     * {@code argv} run as this user: real, effective and saved ids its own, no supplementary groups, and no
     * capability it could inherit or raise.
     */
    public List<String> running(List<String> argv) {
        List<String> command = new ArrayList<>(List.of(
                "setpriv",
                "--reuid=" + uid,
                "--regid=" + gid,
                "--clear-groups",
                "--inh-caps=-all",
                "--ambient-caps=-all",
                "--"));
        command.addAll(argv);
        return command;
    }
}
