package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.NetworkFlavour;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.util.List;
import java.util.Optional;

/**
 * Finds which network configuration system a guest uses, from what is installed in it, never guessing: netplan
 * first (it drives networkd or NetworkManager underneath), then NetworkManager (ifcfg files on RHEL and its rebuilds
 * before 9, keyfiles otherwise), the network-scripts, ifupdown, and systemd-networkd.
 */
final class NetworkFlavourDetector {
    private static final List<GuestPath> NETPLAN = paths(
            "/usr/sbin/netplan",
            "/usr/share/netplan/netplan.script",
            "/lib/netplan/generate",
            "/usr/lib/netplan/generate",
            "/usr/libexec/netplan/generate");
    private static final List<GuestPath> NETWORK_MANAGER = paths("/usr/sbin/NetworkManager", "/usr/bin/NetworkManager");
    private static final List<GuestPath> NETWORK_SCRIPTS =
            paths("/etc/sysconfig/network-scripts/ifup-eth", "/usr/sbin/ifup-eth");
    private static final List<GuestPath> IFUPDOWN = paths("/sbin/ifup", "/usr/sbin/ifup");
    private static final List<GuestPath> NETWORKD =
            paths("/lib/systemd/systemd-networkd", "/usr/lib/systemd/systemd-networkd");
    private static final GuestPath NETWORKD_CONFIG = GuestPath.of("/etc/systemd/network");

    /**
     * What was detected and why.
     *
     * @param flavour the guest's network configuration system
     * @param evidence what in the guest says so, for the item's result
     */
    record Detected(NetworkFlavour flavour, String evidence) {}

    private NetworkFlavourDetector() {}

    static Detected detect(GuestFs guest) {
        Optional<OsRelease> os = OsRelease.read(guest);
        String release = os.map(o -> ", os-release " + o).orElse(", no os-release");
        Optional<GuestPath> found = first(guest, NETPLAN);
        if (found.isPresent()) {
            return new Detected(NetworkFlavour.NETPLAN, found.get() + release);
        }
        found = first(guest, NETWORK_MANAGER);
        if (found.isPresent()) {
            boolean oldRhel = os.map(o -> o.isRhelFamily() && o.majorVersion() >= 0 && o.majorVersion() < 9)
                    .orElse(false);
            return oldRhel
                    ? new Detected(NetworkFlavour.IFCFG, found.get() + release + " (before 9: ifcfg-rh)")
                    : new Detected(NetworkFlavour.NETWORKMANAGER, found.get() + release);
        }
        found = first(guest, NETWORK_SCRIPTS);
        if (found.isPresent()) {
            return new Detected(NetworkFlavour.IFCFG, found.get() + release);
        }
        found = first(guest, IFUPDOWN);
        if (found.isPresent()) {
            return new Detected(NetworkFlavour.IFUPDOWN, found.get() + release);
        }
        found = first(guest, NETWORKD);
        if (found.isPresent()) {
            return new Detected(NetworkFlavour.NETWORKD, found.get() + release);
        }
        throw new InjectException(
                ErrorCode.GUEST_CONTENT_INVALID,
                "cannot tell how this guest configures its network"
                        + release
                        + ": none of netplan, NetworkManager, network-scripts, ifupdown or systemd-networkd is installed"
                        + (guest.stat(NETWORKD_CONFIG).isPresent()
                                ? " (" + NETWORKD_CONFIG + " exists, but no systemd-networkd)"
                                : "")
                        + "; name one in the request's network.flavour");
    }

    private static Optional<GuestPath> first(GuestFs guest, List<GuestPath> candidates) {
        return candidates.stream()
                .filter(p -> guest.stat(p)
                        .map(s -> s.isRegularFile() || s.isSymlink())
                        .orElse(false))
                .findFirst();
    }

    private static List<GuestPath> paths(String... paths) {
        return java.util.Arrays.stream(paths).map(GuestPath::of).toList();
    }
}
