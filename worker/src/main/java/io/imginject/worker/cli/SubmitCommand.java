package io.imginject.worker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Connection;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestDecoder;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.RequestRejectedException;
import io.imginject.protocol.SshPublicKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imginject submit}: publishes one request, waits for its reply and prints it. */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        description = {
            "Publishes one injection request for a worker host, waits for the reply and prints it as JSON.",
            "Exit status: 0 the job succeeded, 1 it failed (the reply says why), 2 no reply (no worker, timeout, bad input)."
        })
final class SubmitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    BrokerOption broker;

    @Option(names = "--host", description = "Worker host to send the request to (default this machine's name).")
    String host;

    @CommandLineOnly
    @Option(
            names = "--request",
            paramLabel = "FILE",
            description = "A whole v1 request as JSON; the flags below build one instead.")
    Path requestFile;

    @Option(names = "--image", paramLabel = "PATH", description = "Image path on the worker's host.")
    String image;

    @Option(names = "--format", description = "Image format (raw, qcow2, ...); left out, the worker detects it.")
    String format;

    @CommandLineOnly
    @Option(
            names = "--partition",
            paramLabel = "N",
            description = "0 whole disk, N partition N, -1 find the root filesystem (default).")
    Integer partition;

    @Option(names = "--key", description = "SSH public key for root.")
    String key;

    @Option(names = "--key-file", paramLabel = "FILE", description = "File holding the SSH public key for root.")
    Path keyFile;

    @Option(
            names = "--admin-password-file",
            paramLabel = "FILE",
            description = "File whose first line is root's new password (not a flag: flags show in ps).")
    Path passwordFile;

    @Option(
            names = "--file",
            paramLabel = "GUEST=LOCAL",
            description = "Write local file LOCAL to guest path GUEST; repeatable.")
    List<String> files = new ArrayList<>();

    @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "Instance metadata for /meta.js; repeatable.")
    List<String> metadata = new ArrayList<>();

    @Option(names = "--net-file", paramLabel = "FILE", description = "Network config for /etc/network/interfaces.")
    Path netFile;

    @Mixin
    GuestItemOptions guestItems;

    @Option(
            names = "--mandatory",
            paramLabel = "ITEMS",
            split = ",",
            description = "Items whose failure fails the job.")
    List<String> mandatory = new ArrayList<>();

    @CommandLineOnly
    @Option(names = "--handlers", paramLabel = "LIST", split = ",", description = "Handler order for this job.")
    List<String> handlers = new ArrayList<>();

    @CommandLineOnly
    @Option(names = "--job-id", description = "Job id (default a random UUID).")
    String jobId;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "600",
            description = "How long to wait for the reply (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(
            names = "--deadline",
            paramLabel = "SECONDS",
            description = "A worker must start the job within this many seconds, or not at all.")
    Integer deadlineSeconds;

    @Override
    public Integer call() throws Exception {
        InjectionRequest request;
        try {
            request = requestFile != null ? fromFile(requestFile) : fromFlags();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("imginject submit: " + e.getMessage());
            return 2;
        }
        String target = host != null ? host : HostName.local();
        try (Connection connection = broker.connect("imginject-submit");
                InjectionClient client = InjectionClient.open(connection)) {
            Instant deadline = deadlineSeconds == null ? null : Instant.now().plusSeconds(deadlineSeconds);
            InjectionReply reply = client.submit(
                            target,
                            request,
                            jobId != null ? jobId : UUID.randomUUID().toString(),
                            deadline)
                    .get(timeoutSeconds, TimeUnit.SECONDS);
            spec.commandLine().getOut().println(ReplyCodec.toPrettyJson(reply));
            return reply.isOk() ? 0 : 1;
        } catch (TimeoutException e) {
            spec.commandLine()
                    .getErr()
                    .println("imginject submit: no reply from host " + target + " within " + timeoutSeconds + " s");
            return 2;
        } catch (ExecutionException e) {
            spec.commandLine()
                    .getErr()
                    .println("imginject submit: " + e.getCause().getMessage());
            return 2;
        }
    }

    private static InjectionRequest fromFile(Path file) {
        try {
            return RequestDecoder.decode(LocalFiles.read(file));
        } catch (RequestRejectedException e) {
            throw new IllegalArgumentException(file + " is not a valid request: " + e.getMessage());
        }
    }

    private InjectionRequest fromFlags() {
        if (image == null) {
            throw new IllegalArgumentException("give --image PATH, or a whole request with --request FILE");
        }
        ImageRef ref = ImageRef.of(image);
        if (format != null) {
            ref = ref.withFormat(ImageFormat.fromQemuName(format)
                    .orElseThrow(() -> new IllegalArgumentException(
                            "unknown format " + format + "; use one of " + ImageFormat.allNames())));
        }
        if (partition != null) {
            if (partition < -1) {
                throw new IllegalArgumentException("--partition must be -1, 0 or a partition number");
            }
            ref = ref.withPartition(PartitionSelector.fromWireValue(partition));
        }
        Injections inject = Injections.none();
        String keyText = key != null
                ? key
                : keyFile != null ? new String(LocalFiles.read(keyFile), StandardCharsets.UTF_8) : null;
        if (keyText != null) {
            try {
                inject = inject.withKey(SshPublicKey.parse(keyText));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("root's key " + e.getMessage(), e);
            }
        }
        if (passwordFile != null) {
            inject = inject.withAdminPassword(LocalFiles.firstLine(passwordFile));
        }
        List<FileInjection> fileInjections = new ArrayList<>();
        for (String spec : files) {
            String[] parts = pair(spec, "--file", "GUEST=LOCAL");
            fileInjections.add(FileInjection.of(parts[0], LocalFiles.read(Path.of(parts[1]))));
        }
        inject = inject.withFiles(fileInjections);
        if (!metadata.isEmpty()) {
            Map<String, String> map = new LinkedHashMap<>();
            for (String spec : metadata) {
                String[] parts = pair(spec, "--metadata", "KEY=VALUE");
                map.put(parts[0], parts[1]);
            }
            inject = inject.withMetadata(map);
        }
        if (netFile != null) {
            inject = inject.withNet(new String(LocalFiles.read(netFile), StandardCharsets.UTF_8));
        }
        inject = guestItems.addTo(inject);
        Set<ItemName> mandatoryItems = EnumSet.noneOf(ItemName.class);
        for (String name : mandatory) {
            mandatoryItems.add(ItemName.fromWireName(name)
                    .orElseThrow(() -> new IllegalArgumentException(
                            "unknown item " + name + "; the items are " + ItemName.allNames())));
        }
        List<HandlerName> order = handlers.stream()
                .map(name -> HandlerName.fromWireName(name)
                        .orElseThrow(() -> new IllegalArgumentException(
                                "unknown handler " + name + "; the handlers are " + HandlerName.allNames())))
                .toList();
        ObjectNode body = RequestEncoder.toJson(new InjectionRequest(ref, inject, mandatoryItems, order));
        guestItems.addNetworkTo((ObjectNode) body.get("inject"));
        try {
            return RequestDecoder.decode(body.toString().getBytes(StandardCharsets.UTF_8));
        } catch (RequestRejectedException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static String[] pair(String spec, String option, String shape) {
        String[] parts = spec.split("=", 2);
        if (parts.length != 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException(option + " takes " + shape + ", got " + Arrays.toString(parts));
        }
        return parts;
    }
}
