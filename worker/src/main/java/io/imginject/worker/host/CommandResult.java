package io.imginject.worker.host;

import java.util.List;

/**
 * How a host command ended.
 *
 * @param argv the command line
 * @param exitCode its exit status
 * @param stdout what it printed, as text
 * @param stderr what it printed on standard error, as text
 */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {
    public boolean succeeded() {
        return exitCode == 0;
    }
}
