package io.imginject.protocol;

/**
 * An IP address with its prefix length, such as {@code 10.0.0.5/24}.
 *
 * @param address the address as the request wrote it (a literal, checked)
 * @param prefix the prefix length: 0-32 for IPv4, 0-128 for IPv6
 * @param ipv6 whether it is an IPv6 address
 */
public record IpPrefix(String address, int prefix, boolean ipv6) {

    /** Whether this is the default route's destination, {@code 0.0.0.0/0} or {@code ::/0}. */
    public boolean isDefault() {
        return prefix == 0;
    }

    @Override
    public String toString() {
        return address + "/" + prefix;
    }
}
