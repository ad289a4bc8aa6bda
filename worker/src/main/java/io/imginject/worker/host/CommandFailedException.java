package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.util.List;

/** A host tool exited non-zero, could not be started, or ran past its time limit. */
public final class CommandFailedException extends InjectException {
    private final List<String> argv;
    private final int exitCode;
    private final String stderr;

    public CommandFailedException(List<String> argv, int exitCode, String stderr, String why) {
        super(ErrorCode.TOOL_FAILED, argv.get(0) + " " + why + (stderr.isBlank() ? "" : ": " + stderr.strip()));
        this.argv = List.copyOf(argv);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public List<String> argv() {
        return argv;
    }

    /** The exit status, or -1 when the command did not run to an exit. */
    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
