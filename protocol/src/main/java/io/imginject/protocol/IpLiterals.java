package io.imginject.protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** IP address and netmask literals, checked without ever resolving a name. */
final class IpLiterals {
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern PREFIX = Pattern.compile("[0-9]{1,3}");

    private IpLiterals() {}

    static boolean isIpv4(String text) {
        return IPV4.matcher(text).matches();
    }

    static boolean isIpv6(String text) {
        return bytesOfIpv6(text).isPresent();
    }

    /**
     * The prefix length a netmask gives: a dotted IPv4 mask, an IPv6 mask, or a prefix length as text; empty if
     * it is none of these or not contiguous.
     */
    static Optional<Integer> prefixOf(String netmask, boolean ipv6) {
        int max = ipv6 ? 128 : 32;
        if (PREFIX.matcher(netmask).matches()) {
            int prefix = Integer.parseInt(netmask);
            return prefix <= max ? Optional.of(prefix) : Optional.empty();
        }
        Optional<byte[]> bytes = ipv6 ? bytesOfIpv6(netmask) : bytesOfIpv4(netmask);
        return bytes.flatMap(IpLiterals::contiguousPrefix);
    }

    private static Optional<byte[]> bytesOfIpv4(String text) {
        if (!isIpv4(text)) {
            return Optional.empty();
        }
        String[] parts = text.split("\\.", -1);
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return Optional.of(bytes);
    }

    private static Optional<byte[]> bytesOfIpv6(String text) {
        if (!IPV6_CHARS.matcher(text).matches() || text.indexOf(':') < 0) {
            return Optional.empty();
        }
        try {
            // a literal with a colon is parsed as an IPv6 address, never looked up
            byte[] bytes = InetAddress.getByName(text).getAddress();
            return bytes.length == 16 ? Optional.of(bytes) : Optional.empty();
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> contiguousPrefix(byte[] mask) {
        int prefix = 0;
        boolean ended = false;
        for (byte b : mask) {
            for (int bit = 7; bit >= 0; bit--) {
                boolean set = (b >> bit & 1) == 1;
                if (set && ended) {
                    return Optional.empty();
                }
                if (set) {
                    prefix++;
                } else {
                    ended = true;
                }
            }
        }
        return Optional.of(prefix);
    }
}
