package io.imginject.protocol;

/**
 * A route of a network.
 *
 * @param destination where it leads; {@code 0.0.0.0/0} or {@code ::/0} for the default route
 * @param gateway the next hop
 */
public record NetworkRoute(IpPrefix destination, String gateway) {}
