package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import io.imginject.worker.handler.guestfs.GuestfsSettings;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.handler.loop.LoopSupport;
import io.imginject.worker.handler.nbd.NbdSettings;
import io.imginject.worker.handler.nbd.NbdSupport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
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
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Reports which handlers (loop, nbd, guestfs) and whether the broker work on this host, and why not.",
                "Exit status: 0 when the broker and at least one handler work, 1 otherwise."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BrokerOption broker;

    @Option(names = "--nbd-transport", paramLabel = "auto|kernel|userspace", defaultValue = "auto", description = "The nbd transport to check (default auto).")
    String nbdTransport;

    @Option(names = "--deep", description = "Also launch a libguestfs appliance, the only full proof that guestfs works (20-30 s without KVM).")
    boolean deep;

    @Option(names = "--guestfs-force-tcg", description = "With --deep: launch without KVM.")
    boolean guestfsForceTcg;

    /** One check: its problem, or what works. */
    private record Check(Optional<String> problem, String detail) {
    }

    @Override
    public Integer call() {
        NbdSettings nbd = new NbdSettings(NbdSettings.Transport.valueOf(nbdTransport.toUpperCase(Locale.ROOT)), Duration.ofSeconds(10));
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("loop", new Check(LoopSupport.problem(), "raw images, mounted on the host"));
        checks.put("nbd", new Check(NbdSupport.problem(nbd), NbdSupport.describe(nbd)));
        checks.put("guestfs", deep
                ? new Check(GuestfsSupport.launchProblem(new GuestfsSettings(guestfsForceTcg, 512, 2, Duration.ofMinutes(3))), "an appliance launched and shut down")
                : new Check(GuestfsSupport.problem(), "binding, supermin and kernel present (--deep launches an appliance)"));
        checks.put("broker", new Check(brokerProblem(), "connected"));
        PrintWriter out = spec.commandLine().getOut();
        checks.forEach((name, check) -> out.printf("%-8s %s%n", name, check.problem().map(p -> "NO   " + p).orElse("ok   " + check.detail())));
        boolean handlerWorks = checks.entrySet().stream().anyMatch(e -> !e.getKey().equals("broker") && e.getValue().problem().isEmpty());
        return handlerWorks && checks.get("broker").problem().isEmpty() ? 0 : 1;
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
