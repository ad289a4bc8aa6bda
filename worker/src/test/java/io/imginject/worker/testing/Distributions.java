package io.imginject.worker.testing;

/**
 * Guest trees laid out as distributions lay out their network configuration: the programs that say which system a
 * guest uses, and the directories it reads.
 */
public final class Distributions {
    private static final String EXECUTABLE = "#!/bin/sh\n";

    private Distributions() {}

    /** Debian 12 with ifupdown: /usr/sbin/ifup (via /sbin -> usr/sbin) and an interfaces file sourcing interfaces.d. */
    public static GuestTree debianIfupdown() {
        return GuestTree.linuxRoot()
                .dir("/usr/sbin", 0755, 0, 0)
                .symlink("/sbin", "usr/sbin")
                .file("/usr/sbin/ifup", EXECUTABLE, 0755, 0, 0)
                .dir("/usr/lib/systemd", 0755, 0, 0)
                .file("/usr/lib/systemd/systemd-networkd", EXECUTABLE, 0755, 0, 0)
                .dir("/etc/network/interfaces.d", 0755, 0, 0)
                .file("/etc/network/interfaces", """
                        # The loopback network interface
                        auto lo
                        iface lo inet loopback

                        source /etc/network/interfaces.d/*
                        """, 0644, 0, 0);
    }

    /** Ubuntu 22.04: netplan over networkd. */
    public static GuestTree ubuntuNetplan() {
        return GuestTree.linuxRoot()
                .file(
                        "/etc/os-release",
                        "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n",
                        0644,
                        0,
                        0)
                .file(
                        "/etc/hosts",
                        "127.0.0.1 localhost\n127.0.1.1 ubuntu\n\n::1 ip6-localhost ip6-loopback\n",
                        0644,
                        0,
                        0)
                .dir("/usr/sbin", 0755, 0, 0)
                .file("/usr/sbin/netplan", EXECUTABLE, 0755, 0, 0)
                .dir("/usr/lib/systemd", 0755, 0, 0)
                .file("/usr/lib/systemd/systemd-networkd", EXECUTABLE, 0755, 0, 0)
                .dir("/etc/netplan", 0755, 0, 0)
                .file("/etc/netplan/50-cloud-init.yaml", "network:\n  version: 2\n", 0600, 0, 0);
    }

    /** RHEL 9 (here Rocky): NetworkManager with keyfiles. */
    public static GuestTree rhel9NetworkManager() {
        return GuestTree.linuxRoot()
                .file(
                        "/etc/os-release",
                        "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
                        0644,
                        0,
                        0)
                .dir("/usr/sbin", 0755, 0, 0)
                .file("/usr/sbin/NetworkManager", EXECUTABLE, 0755, 0, 0)
                .dir("/etc/NetworkManager/system-connections", 0700, 0, 0);
    }

    /** RHEL 8: NetworkManager reading ifcfg files. */
    public static GuestTree rhel8Ifcfg() {
        return GuestTree.linuxRoot()
                .file(
                        "/etc/os-release",
                        "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.9\"\n",
                        0644,
                        0,
                        0)
                .dir("/usr/sbin", 0755, 0, 0)
                .file("/usr/sbin/NetworkManager", EXECUTABLE, 0755, 0, 0)
                .dir("/etc/sysconfig/network-scripts", 0755, 0, 0);
    }

    /** A systemd guest that uses systemd-networkd alone (Arch-like). */
    public static GuestTree networkdOnly() {
        return GuestTree.linuxRoot()
                .file("/etc/os-release", "NAME=\"Arch Linux\"\nID=arch\n", 0644, 0, 0)
                .dir("/usr/lib/systemd", 0755, 0, 0)
                .file("/usr/lib/systemd/systemd-networkd", EXECUTABLE, 0755, 0, 0)
                .dir("/etc/systemd/network", 0755, 0, 0);
    }
}
