package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import io.imginject.protocol.Attempt;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.SshPublicKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code imginject bench}: sends a worker a run of small injections (a key and a file each) and prints how long
 * they took, end to end and on the worker, and how many it finished per second; given the timings of a bare cycle
 * of the same work on the same images ({@code --floor-file}, which {@code deploy/bench} measures), also the ratio
 * job/floor. For sizing hosts and comparing handlers; the worker must be running.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Sends a running worker a series of small injections (a key and a file each) and prints latency and throughput.",
            "Jobs on one image run one at a time; give several --image to let a worker run jobs side by side."
        })
final class BenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    BrokerOption broker;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", required = true, description = "The worker host to send the jobs to.")
    String host;

    @Option(
            names = "--image",
            required = true,
            paramLabel = "PATH",
            description = "Image to inject into; repeat to spread the jobs.")
    List<String> images;

    @Option(names = "--format", description = "The images' format (default: the worker detects it).")
    String format;

    @CommandLineOnly
    @Option(
            names = "--partition",
            defaultValue = "-1",
            description =
                    "Partition to inject into: -1 the guest's root, 0 the whole disk, N (default ${DEFAULT-VALUE}).")
    int partition;

    @Option(
            names = "--floor-file",
            paramLabel = "FILE",
            description = "Milliseconds of a bare cycle, one a line, to print the ratio job/floor against.")
    Path floorFile;

    @Option(
            names = "--floor-name",
            defaultValue = "bare cycle",
            description = "What the floor is, for the output (default ${DEFAULT-VALUE}).")
    String floorName;

    @CommandLineOnly
    @Option(
            names = "--handlers",
            paramLabel = "LIST",
            split = ",",
            description = "Handler order for the jobs (default: the worker's).")
    List<String> handlers = new ArrayList<>();

    @Option(names = "--jobs", defaultValue = "20", description = "How many jobs (default ${DEFAULT-VALUE}).")
    int jobs;

    @Option(
            names = "--parallel",
            defaultValue = "2",
            description = "Jobs in flight at once (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "600",
            description = "How long to wait for all replies (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        List<HandlerName> order = handlers.stream()
                .map(name -> HandlerName.fromWireName(name)
                        .orElseThrow(() -> new IllegalArgumentException(
                                "unknown handler " + name + "; the handlers are " + HandlerName.allNames())))
                .toList();
        List<Long> endToEnd = Collections.synchronizedList(new ArrayList<>());
        List<Long> onWorker = Collections.synchronizedList(new ArrayList<>());
        List<Long> opening = Collections.synchronizedList(new ArrayList<>());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Semaphore inFlight = new Semaphore(parallel);
        List<CompletableFuture<?>> all = new ArrayList<>();
        long started = System.nanoTime();
        try (Connection connection = broker.connect("imginject-bench");
                InjectionClient client = InjectionClient.open(connection)) {
            for (int job = 0; job < jobs; job++) {
                inFlight.acquire();
                long sent = System.nanoTime();
                CompletableFuture<InjectionReply> reply = client.submit(
                        host, request(images.get(job % images.size()), job, order), "bench-" + UUID.randomUUID());
                all.add(reply.whenComplete((r, e) -> {
                    inFlight.release();
                    if (e != null || !r.isOk()) {
                        failures.add(
                                e != null
                                        ? e.getMessage()
                                        : r.error().code().wireName() + ": "
                                                + r.error().message());
                        return;
                    }
                    endToEnd.add((System.nanoTime() - sent) / 1_000_000);
                    onWorker.add(r.durationMs());
                    r.attempts().stream()
                            .filter(a -> a.outcome() == Outcome.OK)
                            .map(Attempt::ms)
                            .forEach(opening::add);
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                    .exceptionally(e -> null)
                    .get(timeoutSeconds, TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "%d jobs on %d image(s), %d in flight, handlers %s: %d ok, %d failed, %.1f s, %.2f jobs/s%n",
                jobs,
                images.size(),
                parallel,
                order.isEmpty() ? "(worker's order)" : order,
                endToEnd.size(),
                failures.size(),
                seconds,
                endToEnd.size() / seconds);
        out.println(figures("end to end ms", endToEnd));
        out.println(figures("on the worker ms", onWorker));
        out.println(figures("handler attempt ms", opening));
        if (floorFile != null) {
            List<Long> floor = floor();
            out.println(figures("floor ms", floor) + "  (" + floorName + ", " + floor.size() + " runs)");
            out.println(ratio("end to end / floor", endToEnd, floor));
            out.println(ratio("on the worker / floor", onWorker, floor));
        }
        failures.stream().distinct().limit(5).forEach(f -> out.println("failure: " + f));
        return failures.isEmpty() ? 0 : 1;
    }

    private InjectionRequest request(String image, int job, List<HandlerName> order) {
        ImageRef ref = ImageRef.of(image)
                .withPartition(
                        partition == -1
                                ? new PartitionSelector.FindRoot()
                                : partition == 0
                                        ? new PartitionSelector.WholeDisk()
                                        : new PartitionSelector.Numbered(partition));
        if (format != null) {
            ref = ref.withFormat(ImageFormat.fromQemuName(format)
                    .orElseThrow(() -> new IllegalArgumentException("unknown format " + format)));
        }
        byte[] type = "ssh-ed25519".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer blob = ByteBuffer.allocate(4 + type.length + 4 + 32)
                .putInt(type.length)
                .put(type)
                .putInt(32)
                .putLong(job)
                .putLong(System.nanoTime());
        String key = "ssh-ed25519 " + Base64.getEncoder().encodeToString(blob.array()) + " bench-" + job;
        return InjectionRequest.of(
                        ref,
                        Injections.none()
                                .withKey(SshPublicKey.parse(key))
                                .withFiles(List.of(FileInjection.of(
                                        "/etc/imginject/bench-" + job,
                                        ("job " + job + "\n").getBytes(StandardCharsets.UTF_8)))))
                .withHandlers(order);
    }

    private List<Long> floor() throws IOException {
        List<Long> floor = Files.readAllLines(floorFile).stream()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .map(Long::parseLong)
                .toList();
        if (floor.isEmpty()) {
            throw new IllegalArgumentException(floorFile + " holds no timings");
        }
        return floor;
    }

    private static String ratio(String what, List<Long> jobs, List<Long> floor) {
        if (jobs.isEmpty()) {
            return String.format("%-22s -", what);
        }
        List<Long> sortedJobs = jobs.stream().sorted().toList();
        List<Long> sortedFloor = floor.stream().sorted().toList();
        return String.format(
                "%-22s p50 %.2fx  p95 %.2fx",
                what,
                percentile(sortedJobs, 50) / (double) Math.max(1, percentile(sortedFloor, 50)),
                percentile(sortedJobs, 95) / (double) Math.max(1, percentile(sortedFloor, 95)));
    }

    private static String figures(String what, List<Long> values) {
        if (values.isEmpty()) {
            return String.format("%-22s -", what);
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(
                "%-22s min %d  p50 %d  p95 %d  max %d",
                what, sorted.get(0), percentile(sorted, 50), percentile(sorted, 95), sorted.get(sorted.size() - 1));
    }

    private static long percentile(List<Long> sorted, int percent) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
    }
}
