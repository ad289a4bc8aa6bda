package io.imginject.worker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.GuestUser;
import io.imginject.protocol.Injections;
import io.imginject.protocol.NoCloudSeed;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import io.imginject.protocol.UnreadableJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code submit} options of the items that describe the guest itself: {@code network}, {@code hostname},
 * {@code users} and {@code nocloud}. Passwords and user-data come from files, never from flags (flags show in ps).
 */
final class GuestItemOptions {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    @Option(
            names = "--network-file",
            paramLabel = "FILE",
            description = "The guest's network as OpenStack's network_data.json, written in the guest's own format.")
    Path networkFile;

    @Option(
            names = "--network-flavour",
            paramLabel = "NAME",
            description = "Write --network-file as ifupdown, networkmanager, ifcfg, netplan or networkd"
                    + " instead of the format the worker detects in the guest.")
    String networkFlavour;

    @Option(
            names = "--hostname",
            paramLabel = "NAME",
            description = "Host name for /etc/hostname and the 127.0.1.1 line of /etc/hosts.")
    String hostname;

    @Option(
            names = "--user",
            paramLabel = "NAME:KEYFILE[:PASSWORD_FILE]",
            description = "Keys (one per line of KEYFILE; leave it empty for none) and a password (the first line of"
                    + " PASSWORD_FILE) for a user the guest's passwd has; repeatable.")
    List<String> users = new ArrayList<>();

    @Option(
            names = "--nocloud-instance-id",
            paramLabel = "ID",
            description = "Write a cloud-init NoCloud seed with this instance-id.")
    String nocloudInstanceId;

    @Option(
            names = "--nocloud-user-data-file",
            paramLabel = "FILE",
            description = "The NoCloud seed's user-data (default #cloud-config); needs --nocloud-instance-id.")
    Path nocloudUserDataFile;

    /** {@code inject} with the hostname, users and seed these options ask for. */
    Injections addTo(Injections inject) {
        Injections result = inject;
        if (hostname != null) {
            result = result.withHostname(hostname);
        }
        if (!users.isEmpty()) {
            result = result.withUsers(users.stream().map(GuestItemOptions::user).toList());
        }
        if (nocloudUserDataFile != null && nocloudInstanceId == null) {
            throw new IllegalArgumentException("--nocloud-user-data-file needs --nocloud-instance-id");
        }
        if (nocloudInstanceId != null) {
            Secret userData = nocloudUserDataFile != null
                    ? Secret.of(LocalFiles.read(nocloudUserDataFile))
                    : Secret.of("#cloud-config\n");
            result = result.withNocloud(new NoCloudSeed(nocloudInstanceId, userData));
        }
        return result;
    }

    /**
     * Puts the network file's document into a request's {@code inject} object as it is, so the worker's own
     * decoder checks it and names each problem at its path.
     */
    void addNetworkTo(ObjectNode inject) {
        if (networkFile == null) {
            if (networkFlavour != null) {
                throw new IllegalArgumentException("--network-flavour needs --network-file");
            }
            return;
        }
        JsonNode network;
        try {
            network = JSON.readTree(LocalFiles.read(networkFile));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(networkFile + " is not valid JSON: " + UnreadableJson.why(e), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(networkFile + " is not JSON in UTF-8", e);
        }
        if (network == null || !network.isObject()) {
            throw new IllegalArgumentException(
                    networkFile + " does not hold a JSON object in network_data.json's shape ({links, networks, ...})");
        }
        if (networkFlavour != null) {
            ((ObjectNode) network).put("flavour", networkFlavour);
        }
        inject.set("network", network);
    }

    private static GuestUser user(String spec) {
        String[] parts = spec.split(":", 3);
        if (parts.length < 2 || parts[0].isEmpty() || (parts[1].isEmpty() && parts.length == 2)) {
            throw new IllegalArgumentException(
                    "--user takes NAME:KEYFILE[:PASSWORD_FILE] (KEYFILE may be empty when a PASSWORD_FILE follows)");
        }
        List<SshPublicKey> keys = parts[1].isEmpty() ? List.of() : keys(Path.of(parts[1]));
        Optional<Secret> password = parts.length == 3 && !parts[2].isEmpty()
                ? Optional.of(LocalFiles.firstLine(Path.of(parts[2])))
                : Optional.empty();
        return new GuestUser(parts[0], keys, password);
    }

    private static List<SshPublicKey> keys(Path file) {
        List<SshPublicKey> keys = new ArrayList<>();
        List<String> lines = new String(LocalFiles.read(file), StandardCharsets.UTF_8)
                .lines()
                .toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                keys.add(SshPublicKey.parse(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " " + e.getMessage(), e);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no SSH public key");
        }
        return keys;
    }
}
