package io.imginject.worker.handler.nbd;

import java.time.Duration;

/**
 * How the nbd handler reaches the image.
 *
 * @param transport kernel, userspace, or auto (kernel where the host has the nbd module, userspace otherwise)
 * @param readyTimeout how long qemu-nbd and nbdfuse (or the kernel device) may take to come up
 */
public record NbdSettings(Transport transport, Duration readyTimeout) {

    public static final NbdSettings DEFAULT = new NbdSettings(Transport.AUTO, Duration.ofSeconds(10));

    /** Which nbd transport to use. */
    public enum Transport {
        /** Kernel where {@code /sys/block/nbd0} exists, userspace otherwise. */
        AUTO,
        /** qemu-nbd --connect to a /dev/nbdN device: needs the nbd kernel module. */
        KERNEL,
        /** qemu-nbd on a unix socket, exposed as a file by nbdfuse: needs FUSE only. */
        USERSPACE
    }
}
