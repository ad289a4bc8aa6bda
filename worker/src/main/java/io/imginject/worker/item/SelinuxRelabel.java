package io.imginject.worker.item;

import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Files written from the host carry no SELinux label, and a guest in enforcing mode denies access to unlabelled
 * files (an {@code authorized_keys} sshd cannot read, a {@code shadow} login cannot). A guest whose
 * {@code /etc/selinux/config} says enforcing or permissive gets {@code /.autorelabel}, which makes it relabel the
 * whole filesystem at first boot. This works whatever the init system, unlike nova's rc.local line.
 */
final class SelinuxRelabel {
    static final GuestPath CONFIG = GuestPath.of("/etc/selinux/config");
    static final GuestPath MARKER = GuestPath.of("/.autorelabel");
    private static final int MAX_CONFIG_BYTES = 64 << 10;

    private SelinuxRelabel() {}

    /** Schedules a relabel if the guest uses SELinux; says what it did, or empty if the guest does not. */
    static Optional<String> scheduleIfNeeded(GuestFs guest) {
        if (!usesSelinux(guest)) {
            return Optional.empty();
        }
        if (guest.stat(MARKER).isPresent()) {
            return Optional.of("SELinux guest: relabel at first boot already scheduled (" + MARKER + ")");
        }
        guest.writeFile(MARKER, new byte[0], 0644, 0, 0);
        return Optional.of("SELinux guest: " + MARKER + " created so first boot labels the new files");
    }

    private static boolean usesSelinux(GuestFs guest) {
        Optional<byte[]> config =
                guest.stat(CONFIG).filter(s -> s.isRegularFile()).flatMap(s -> guest.read(CONFIG, MAX_CONFIG_BYTES));
        return config.isPresent()
                && new String(config.get(), StandardCharsets.UTF_8)
                        .lines()
                        .map(String::strip)
                        .filter(line -> line.startsWith("SELINUX="))
                        .map(line -> line.substring("SELINUX=".length()).strip().replace("\"", ""))
                        .anyMatch(mode -> mode.equals("enforcing") || mode.equals("permissive"));
    }
}
