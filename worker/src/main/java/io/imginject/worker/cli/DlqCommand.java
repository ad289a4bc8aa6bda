package io.imginject.worker.cli;

import com.rabbitmq.client.Connection;
import io.imginject.worker.deadletter.DeadLetterKey;
import io.imginject.worker.deadletter.DeadLetterKeyException;
import io.imginject.worker.deadletter.DeadLetterSeal;
import io.imginject.worker.dlq.DeadLetter;
import io.imginject.worker.dlq.DeadLetterQueue;
import io.imginject.worker.dlq.Selection;
import io.imginject.worker.dlq.ShownLetter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imginject dlq}: look at, replay and purge the dead-letter queue. */
@Command(
        name = "dlq",
        mixinStandardHelpOptions = true,
        description = {
            "Looks at, replays and purges the dead-letter queue imginject.dead.",
            "replay and purge take only what the filters select; --all selects everything."
        },
        subcommands = {
            DlqCommand.ListCommand.class,
            DlqCommand.ShowCommand.class,
            DlqCommand.ReplayCommand.class,
            DlqCommand.PurgeCommand.class
        })
final class DlqCommand {

    /** The broker and the filters every subcommand takes. */
    static final class Filters {
        @Mixin
        CommonOptions common;

        @Mixin
        BrokerOption broker;

        @CommandLineOnly
        @Option(names = "--all", description = "Select every message.")
        boolean all;

        @CommandLineOnly
        @Option(names = "--host", description = "Only messages the workers of this host gave up on.")
        String host;

        @CommandLineOnly
        @Option(
                names = "--code",
                description = "Only messages with this error code (e.g. image_not_found, delivery_limit_reached).")
        String code;

        @CommandLineOnly
        @Option(
                names = "--correlation-id",
                paramLabel = "ID",
                description = "Only the message with this correlation id.")
        String correlationId;

        @CommandLineOnly
        @Option(names = "--job-id", paramLabel = "ID", description = "Only the message with this job id.")
        String jobId;

        @CommandLineOnly
        @Option(
                names = "--older-than",
                paramLabel = "AGE",
                description = "Only messages that failed longer ago than AGE (90s, 30m, 2h, 1d).")
        String olderThan;

        @CommandLineOnly
        @Option(
                names = "--newer-than",
                paramLabel = "AGE",
                description = "Only messages that failed less than AGE ago.")
        String newerThan;

        @Option(
                names = "--limit",
                paramLabel = "N",
                defaultValue = "1000",
                description = "Take at most N messages (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(
                names = "--dead-letter-key-file",
                defaultValue = DeadLetterKey.DEFAULT_FILE,
                paramLabel = "FILE",
                description = "The workers' dead-letter key (default ${DEFAULT-VALUE}).")
        Path keyFile;

        DeadLetterKey key() throws DeadLetterKeyException {
            return DeadLetterKey.load(keyFile);
        }

        Selection selection() {
            return new Selection(
                    all,
                    Optional.ofNullable(host),
                    Optional.ofNullable(code).map(c -> c.toLowerCase(Locale.ROOT)),
                    Optional.ofNullable(correlationId),
                    Optional.ofNullable(jobId),
                    Optional.ofNullable(olderThan).map(Filters::age),
                    Optional.ofNullable(newerThan).map(Filters::age));
        }

        Predicate<DeadLetter> predicate() {
            Selection selection = selection();
            if (!selection.isGiven()) {
                throw new IllegalArgumentException(
                        "select messages with --host, --code, --correlation-id, --job-id, --older-than, "
                                + "--newer-than, or --all");
            }
            return selection.predicate(Clock.systemUTC());
        }

        Connection connect() throws Exception {
            return broker.connect("imginject-dlq");
        }

        static Duration age(String text) {
            Matcher matcher = Pattern.compile("([0-9]+)([smhd])").matcher(text.strip());
            if (!matcher.matches()) {
                throw new IllegalArgumentException(
                        "an age is a number and a unit (s, m, h, d), such as 30m; not \"" + text + "\"");
            }
            long amount = Long.parseLong(matcher.group(1));
            return switch (matcher.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
    }

    /** Prints what a pass does, and how far it got every few seconds on standard error. */
    static final class Printer implements DeadLetterQueue.Progress {
        private final PrintWriter out;
        private final PrintWriter err;
        private long lastReport = System.nanoTime();

        Printer(PrintWriter out, PrintWriter err) {
            this.out = out;
            this.err = err;
        }

        @Override
        public void taken(DeadLetter letter, String what) {
            out.printf("%s  %s%n", letter.jobId(), what);
        }

        @Override
        public void scanned(int done, int total) {
            if (System.nanoTime() - lastReport > Duration.ofSeconds(2).toNanos()) {
                err.printf("... %d of %d messages looked at%n", done, total);
                err.flush();
                lastReport = System.nanoTime();
            }
        }

        void summary(DeadLetterQueue.Summary summary, boolean dryRun) {
            out.printf(
                    "%slooked at %d, selected %d: %d replayed, %d parked, %d purged, %d skipped%n",
                    dryRun ? "dry run: " : "",
                    summary.scanned(),
                    summary.matched(),
                    summary.replayed(),
                    summary.parked(),
                    summary.purged(),
                    summary.skipped());
        }
    }

    /** A pass over the queue that changes it: replay or purge. */
    @FunctionalInterface
    interface Pass {
        DeadLetterQueue.Summary run(DeadLetterQueue queue, Predicate<DeadLetter> predicate, Printer printer)
                throws Exception;
    }

    /** Runs {@code pass} on the selected messages, printing each message's fate and the totals. */
    static int pass(CommandSpec spec, Filters filters, boolean dryRun, Pass pass) throws Exception {
        Predicate<DeadLetter> predicate = filters.predicate();
        Printer printer =
                new Printer(spec.commandLine().getOut(), spec.commandLine().getErr());
        try (Connection connection = filters.connect()) {
            printer.summary(pass.run(new DeadLetterQueue(connection), predicate, printer), dryRun);
        }
        return 0;
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Lists dead letters, one line each, leaving them in the queue.")
    static final class ListCommand implements Callable<Integer> {
        @Mixin
        Filters filters;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Predicate<DeadLetter> predicate = filters.selection().isGiven() ? filters.predicate() : letter -> true;
            try (Connection connection = filters.connect()) {
                List<DeadLetter> letters = new DeadLetterQueue(connection).browse(predicate, filters.limit);
                PrintWriter out = spec.commandLine().getOut();
                out.printf(
                        "%-38s %-16s %-24s %-24s %-7s %s%n", "JOB", "HOST", "CODE", "FAILED AT", "REPLAYS", "MESSAGE");
                for (DeadLetter letter : letters) {
                    String message = letter.message();
                    out.printf(
                            "%-38s %-16s %-24s %-24s %-7d %s%n",
                            letter.jobId(),
                            letter.host().orElse("-"),
                            letter.code(),
                            letter.failedAt().map(Object::toString).orElse("-"),
                            letter.replays(),
                            message.length() > 100 ? message.substring(0, 100) + "..." : message);
                }
                out.printf("%d message(s)%n", letters.size());
            }
            return 0;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = {
                "Shows dead letters in full: properties, headers, whether the seal holds, and the request with its secrets",
                "redacted (opening a sealed body needs the dead-letter key)."
            })
    static final class ShowCommand implements Callable<Integer> {
        @Mixin
        Filters filters;

        @CommandLineOnly
        @Option(names = "--reveal-body", description = "Print requests in full, passwords and file contents included.")
        boolean revealBody;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Connection connection = filters.connect()) {
                PrintWriter out = spec.commandLine().getOut();
                Optional<DeadLetterSeal> seal;
                String withoutKey = "";
                try {
                    seal = Optional.of(new DeadLetterSeal(filters.key()));
                } catch (DeadLetterKeyException e) {
                    seal = Optional.empty();
                    withoutKey = e.getMessage();
                }
                for (DeadLetter letter : new DeadLetterQueue(connection).browse(filters.predicate(), filters.limit)) {
                    ShownLetter shown = ShownLetter.of(letter, seal, withoutKey, revealBody);
                    out.println("== job " + letter.jobId());
                    out.println("routing key: " + letter.routingKey());
                    out.println("correlation id: " + letter.correlationId().orElse("-") + ", reply to: "
                            + Optional.ofNullable(letter.properties().getReplyTo())
                                    .orElse("-"));
                    out.println("seal: " + shown.seal());
                    letter.headers().forEach((name, value) -> out.println("header " + name + ": " + value));
                    out.println(shown.body());
                }
            }
            return 0;
        }
    }

    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            description = {
                "Publishes dead letters again where they were first published (or to --to-host), with confirms;",
                "each leaves the queue once its copy is confirmed. One replayed --max-replays times goes to imginject.parking.",
                "Needs the dead-letter key; a letter whose seal does not hold is refused and left in the queue."
            })
    static final class ReplayCommand implements Callable<Integer> {
        @Mixin
        Filters filters;

        @CommandLineOnly
        @Option(
                names = "--to-host",
                paramLabel = "HOST",
                description = "Send native requests to this host's workers instead.")
        String toHost;

        @Option(
                names = "--max-replays",
                paramLabel = "N",
                defaultValue = "3",
                description = "Replays before a job is parked (default ${DEFAULT-VALUE}).")
        int maxReplays;

        @CommandLineOnly
        @Option(names = "--dry-run", description = "Say what would happen; change nothing.")
        boolean dryRun;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            DeadLetterKey key = filters.key();
            return pass(
                    spec,
                    filters,
                    dryRun,
                    (queue, predicate, printer) -> queue.replay(
                            key, predicate, filters.limit, Optional.ofNullable(toHost), maxReplays, dryRun, printer));
        }
    }

    @Command(name = "purge", mixinStandardHelpOptions = true, description = "Removes dead letters for good.")
    static final class PurgeCommand implements Callable<Integer> {
        @Mixin
        Filters filters;

        @CommandLineOnly
        @Option(names = "--dry-run", description = "Say what would be removed; remove nothing.")
        boolean dryRun;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return pass(
                    spec,
                    filters,
                    dryRun,
                    (queue, predicate, printer) -> queue.purge(predicate, filters.limit, dryRun, printer));
        }
    }
}
