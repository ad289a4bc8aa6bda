package io.imginject.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What to put into the guest. Every part is optional, but a request carries at least one.
 *
 * @param key an SSH public key for root's {@code authorized_keys}
 * @param adminPassword root's new password
 * @param files files to write
 * @param metadata written as JSON to {@code /meta.js}
 * @param net written to {@code /etc/network/interfaces}
 * @param network rendered into the guest's own network configuration format
 * @param hostname written to {@code /etc/hostname} and the {@code 127.0.1.1} line of {@code /etc/hosts}
 * @param users keys and passwords for users the guest has
 * @param nocloud a cloud-init NoCloud seed
 */
public record Injections(
        Optional<SshPublicKey> key,
        Optional<Secret> adminPassword,
        List<FileInjection> files,
        Optional<Map<String, String>> metadata,
        Optional<String> net,
        Optional<NetworkConfig> network,
        Optional<String> hostname,
        List<GuestUser> users,
        Optional<NoCloudSeed> nocloud) {

    public Injections {
        users = List.copyOf(users);
        files = List.copyOf(files);
        metadata = metadata.map(m -> Collections.unmodifiableMap(new LinkedHashMap<>(m)));
    }

    public static Injections none() {
        return new Injections(
                Optional.empty(),
                Optional.empty(),
                List.of(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                List.of(),
                Optional.empty());
    }

    public Injections withKey(SshPublicKey newKey) {
        return new Injections(
                Optional.of(newKey), adminPassword, files, metadata, net, network, hostname, users, nocloud);
    }

    public Injections withAdminPassword(Secret password) {
        return new Injections(key, Optional.of(password), files, metadata, net, network, hostname, users, nocloud);
    }

    public Injections withFiles(List<FileInjection> newFiles) {
        return new Injections(key, adminPassword, newFiles, metadata, net, network, hostname, users, nocloud);
    }

    public Injections withMetadata(Map<String, String> newMetadata) {
        return new Injections(
                key, adminPassword, files, Optional.of(newMetadata), net, network, hostname, users, nocloud);
    }

    public Injections withNet(String newNet) {
        return new Injections(
                key, adminPassword, files, metadata, Optional.of(newNet), network, hostname, users, nocloud);
    }

    public Injections withNetwork(NetworkConfig newNetwork) {
        return new Injections(
                key, adminPassword, files, metadata, net, Optional.of(newNetwork), hostname, users, nocloud);
    }

    public Injections withHostname(String newHostname) {
        return new Injections(
                key, adminPassword, files, metadata, net, network, Optional.of(newHostname), users, nocloud);
    }

    public Injections withUsers(List<GuestUser> newUsers) {
        return new Injections(key, adminPassword, files, metadata, net, network, hostname, newUsers, nocloud);
    }

    public Injections withNocloud(NoCloudSeed newSeed) {
        return new Injections(key, adminPassword, files, metadata, net, network, hostname, users, Optional.of(newSeed));
    }

    /** The items this request asks for, in {@link ItemName} order. */
    public Set<ItemName> requested() {
        Set<ItemName> items = EnumSet.noneOf(ItemName.class);
        key.ifPresent(k -> items.add(ItemName.KEY));
        net.ifPresent(n -> items.add(ItemName.NET));
        network.ifPresent(n -> items.add(ItemName.NETWORK));
        hostname.ifPresent(h -> items.add(ItemName.HOSTNAME));
        metadata.ifPresent(m -> items.add(ItemName.METADATA));
        adminPassword.ifPresent(p -> items.add(ItemName.ADMIN_PASSWORD));
        if (!users.isEmpty()) {
            items.add(ItemName.USERS);
        }
        nocloud.ifPresent(n -> items.add(ItemName.NOCLOUD));
        if (!files.isEmpty()) {
            items.add(ItemName.FILES);
        }
        return items;
    }
}
