package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import io.imginject.worker.WorkerConfig;
import io.imginject.worker.handler.fuse.Fuse2fsSupport;
import io.imginject.worker.handler.guestfs.ApplianceAcceleration;
import io.imginject.worker.handler.guestfs.GuestfsSettings;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.handler.loop.LoopSupport;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.handler.nbd.NbdSupport;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imginject doctor}: which handlers and which broker work on this host, and why the others do not. */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = {
            "Reports which handlers (loop, nbd, guestfs) and whether the broker work on this host, and why not.",
            "Exit status: 0 when the broker and at least one handler work, 1 otherwise."
        })
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    BrokerOption broker;

    @Option(
            names = "--nbd-transport",
            paramLabel = "auto|kernel|userspace",
            defaultValue = "auto",
            description = "The nbd transport to check (default ${DEFAULT-VALUE}).")
    String nbdTransport;

    @Option(
            names = "--deep",
            description =
                    "Also launch a libguestfs appliance, the only full proof that guestfs works (20-30 s without KVM).")
    boolean deep;

    @Option(
            names = "--guestfs-force-tcg",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "auto",
            paramLabel = "auto|true|false",
            description =
                    "Whether appliances run without KVM, as the worker's setting (default ${DEFAULT-VALUE}: when KVM cannot run a test guest).")
    String guestfsForceTcg;

    @Option(
            names = "--trusted-image-root",
            paramLabel = "DIR",
            split = "\\s*,\\s*",
            splitSynopsisLabel = ",",
            description = "The worker's trusted image roots (default none; see worker --help).")
    List<Path> trustedImageRoots;

    @Option(
            names = "--fuse-user",
            defaultValue = WorkerConfig.DEFAULT_FUSE_USER,
            paramLabel = "USER",
            description = "The worker's fuse2fs user (default ${DEFAULT-VALUE}).")
    String fuseUser;

    @Option(
            names = "--run-dir",
            defaultValue = "/run/imginject",
            paramLabel = "DIR",
            description = "The worker's run directory (default ${DEFAULT-VALUE}).")
    Path runDir;

    private static final List<String> HANDLERS = List.of("loop", "nbd", "guestfs");

    /** One check: its problem, or what works. */
    private record Check(Optional<String> problem, String detail) {}

    @Override
    public Integer call() throws IOException {
        NbdSettings nbd = new NbdSettings(
                NbdSettings.Transport.valueOf(nbdTransport.toUpperCase(Locale.ROOT)), Duration.ofSeconds(10));
        List<Path> trusted = trustedImageRoots == null ? List.of() : trustedImageRoots;
        Fuse2fsSupport fuse2fs =
                Fuse2fsSupport.check(fuseUser, runDir.resolve("fuse"), new ProcessRunner(Duration.ofSeconds(10)));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-8s %s%n", "policy", TrustPolicyText.policy(trusted));
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put(
                "fuse2fs",
                new Check(
                        fuse2fs.problem(),
                        "reads ext2/3/4 of untrusted images as user " + fuseUser + ", without capabilities"));
        checks.put("loop", new Check(LoopSupport.problem(), "raw images; " + TrustPolicyText.mounting(fuse2fs)));
        checks.put(
                "nbd",
                new Check(
                        NbdSupport.problem(nbd), NbdSupport.describe(nbd) + "; " + TrustPolicyText.mounting(fuse2fs)));
        checks.put("guestfs", guestfsCheck());
        checks.put("broker", new Check(brokerProblem(), "connected"));
        checks.forEach((name, check) -> out.printf(
                "%-8s %s%n", name, check.problem().map(p -> "NO   " + p).orElse("ok   " + check.detail())));
        boolean handlerWorks = checks.entrySet().stream()
                .anyMatch(e ->
                        HANDLERS.contains(e.getKey()) && e.getValue().problem().isEmpty());
        return handlerWorks && checks.get("broker").problem().isEmpty() ? 0 : 1;
    }

    /** The guestfs check, saying whether appliances would run under TCG and why. */
    private Check guestfsCheck() throws IOException {
        Optional<String> problem = GuestfsSupport.problem();
        if (problem.isPresent()) {
            return new Check(problem, "");
        }
        GuestfsSettings.TcgMode mode = GuestfsSettings.TcgMode.fromSettingValue(guestfsForceTcg)
                .orElseThrow(() -> new IllegalArgumentException(
                        "--guestfs-force-tcg is auto, true or false, not \"" + guestfsForceTcg + "\""));
        Path scratch = Files.createTempDirectory("imginject-doctor-");
        try {
            ApplianceAcceleration acceleration = ApplianceAcceleration.decide(mode, scratch);
            GuestfsSettings settings = new GuestfsSettings(mode, 512, 2, Duration.ofMinutes(3));
            return deep
                    ? new Check(
                            GuestfsSupport.launchProblem(settings, acceleration),
                            "an appliance launched and shut down under " + acceleration.reason())
                    : new Check(
                            Optional.empty(),
                            "binding, supermin and kernel present; appliances run under " + acceleration.reason()
                                    + " (--deep launches one)");
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    @SuppressWarnings("try") // connecting is the check; the connection is only closed
    private Optional<String> brokerProblem() {
        try (Connection connection = broker.connect("imginject-doctor")) {
            return Optional.empty();
        } catch (Exception e) {
            return Optional.of("cannot connect to " + broker.redactedUri() + ": " + e.getMessage());
        }
    }
}
