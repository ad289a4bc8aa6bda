package io.imginject.protocol;

import java.util.Optional;

/**
 * A network interface of the guest, as a {@code network_data.json} link.
 *
 * @param id the link's id, which networks refer to
 * @param mac its MAC address, lower case, by which the guest's configuration matches it
 * @param name the interface's name in the guest (e.g. {@code ens3}), where the flavour needs one
 * @param mtu its MTU, if set
 */
public record NetworkLink(String id, String mac, Optional<String> name, Optional<Integer> mtu) {

    /** A name safe for file names and configuration keys: the interface name, else the link's id. */
    public String key() {
        return name.orElse(id);
    }
}
