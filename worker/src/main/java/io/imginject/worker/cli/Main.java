package io.imginject.worker.cli;

import java.io.IOException;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

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
        System.exit(commandLine().execute(args));
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
