package io.imginject.worker.cli;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

/** The {@code imginject} command. */
@Command(
        name = "imginject",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description =
                "Injects SSH keys, passwords, files, metadata and network config into VM disk images before first boot.",
        subcommands = {
            WorkerCommand.class,
            SubmitCommand.class,
            DoctorCommand.class,
            DlqCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, Charset.defaultCharset()), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, Charset.defaultCharset()), true);
        System.exit(run(out, err, System.getenv(), args));
    }

    /**
     * Runs {@code imginject args...} with its settings from {@code environment} and the config file: every command's
     * options from the same sources, and an unknown key in either refused (exit status 2) before anything runs.
     */
    static int run(PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
        CommandLine commandLine = commandLine();
        commandLine.setOut(out);
        commandLine.setErr(err);
        SettingSources settings;
        try {
            settings = SettingSources.load(configFile(args, environment), environment);
            settings.requireKnown(SettingKeys.of(commandLine.getCommandSpec()));
        } catch (IllegalArgumentException e) {
            err.println("imginject: " + e.getMessage());
            return 2;
        }
        commandLine.setDefaultValueProvider(settings);
        commandLine.setExecutionStrategy(parsed -> {
            Optional.ofNullable(last(parsed).commandSpec().findOption("--log-format"))
                    .map(OptionSpec::<LogFormat>getValue)
                    .ifPresent(LogFormat::apply);
            // --help shows the built-in defaults, not what the environment or the file (a broker password) says
            commandLine.setDefaultValueProvider(null);
            return new CommandLine.RunLast().execute(parsed);
        });
        return commandLine.execute(args);
    }

    /** The command that runs: the last subcommand given. */
    private static CommandLine.ParseResult last(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult command = parsed;
        while (command.hasSubcommand()) {
            command = command.subcommand();
        }
        return command;
    }

    /**
     * The config file: {@code --config FILE} (or {@code --config=FILE}) among the arguments, else
     * {@code IMGINJECT_CONFIG}; null for the default file. It is looked for before parsing, since parsing takes
     * every other option's value from it.
     */
    static Path configFile(String[] args, Map<String, String> environment) {
        for (int i = 0; i < args.length && !args[i].equals("--"); i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String variable = environment.get(SettingSources.environmentName("config"));
        return variable == null || variable.isBlank() ? null : Path.of(variable);
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, command, parsed) -> {
                    if (e instanceof IllegalArgumentException
                            || e instanceof IOException
                            || e instanceof TimeoutException) {
                        command.getErr().println("imginject " + command.getCommandName() + ": " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"imginject " + (version == null ? "(development build)" : version)};
        }
    }
}
