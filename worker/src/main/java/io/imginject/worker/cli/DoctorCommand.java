package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.imginject.protocol.HandlerName;
import io.imginject.worker.handler.loop.LoopSupport;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imginject doctor}: which handlers and which broker work on this host, and why the others do not. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Reports which handlers (loop, nbd, guestfs) and whether the broker work on this host, and why not.",
                "Exit status: 0 when the broker and at least one handler work, 1 otherwise."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--amqp-uri", paramLabel = "URI", description = "Broker URI (default " + WorkerCommand.DEFAULT_AMQP_URI + ", or IMGINJECT_AMQP_URI).")
    String amqpUri;

    @Override
    public Integer call() {
        Map<String, Optional<String>> checks = new LinkedHashMap<>();
        checks.put(HandlerName.LOOP.wireName(), LoopSupport.problem());
        checks.put(HandlerName.NBD.wireName(), Optional.of("not available in this build"));
        checks.put(HandlerName.GUESTFS.wireName(), Optional.of("not available in this build"));
        checks.put("broker", brokerProblem());
        PrintWriter out = spec.commandLine().getOut();
        checks.forEach((name, problem) -> out.printf("%-8s %s%n", name, problem.map(p -> "NO   " + p).orElse("ok")));
        boolean handlerWorks = checks.entrySet().stream().anyMatch(e -> !e.getKey().equals("broker") && e.getValue().isEmpty());
        return handlerWorks && checks.get("broker").isEmpty() ? 0 : 1;
    }

    private Optional<String> brokerProblem() {
        String uri = amqpUri != null ? amqpUri : System.getenv().getOrDefault("IMGINJECT_AMQP_URI", WorkerCommand.DEFAULT_AMQP_URI);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setConnectionTimeout(5000);
        try {
            factory.setUri(uri);
            try (Connection connection = factory.newConnection("imginject-doctor")) {
                return Optional.empty();
            }
        } catch (Exception e) {
            return Optional.of("cannot connect to " + redacted(uri) + ": " + e.getMessage());
        }
    }

    private static String redacted(String uri) {
        return uri.replaceAll("//([^:/@]*):[^@]*@", "//$1:***@");
    }
}
