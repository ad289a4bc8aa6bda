package io.imginject.worker.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every command has: where its settings file is and how it logs. {@link Main} reads {@code --config}
 * from the arguments before picocli parses them, since the file gives the other options their values.
 */
final class CommonOptions {
    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Properties file with settings, keys as the flag names without -- (default "
                    + SettingSources.DEFAULT_FILE + " if present). Flags win over IMGINJECT_<KEY> variables, "
                    + "which win over the file.")
    Path config;

    @Option(
            names = "--log-format",
            paramLabel = "text|json",
            defaultValue = "text",
            description = "Log lines on standard error as text, or as one JSON object a line with the job id, host,"
                    + " handler and error code in its mdc (default ${DEFAULT-VALUE}).")
    LogFormat logFormat;
}
