package io.imginject.worker.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The helper processes (qemu-nbd, nbdfuse) of one job, journaled before they start: every one of them names the
 * job's private work directory on its command line, which is how they are found again. Released by asking each
 * to stop (SIGTERM), and killing it if it has not within 30 s.
 */
public record HelperProcesses(Path workDirectory) implements HeldResource {
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    static HelperProcesses from(JournalFields fields) throws UnreadableJournalException {
        return new HelperProcesses(fields.path("path"));
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("path", workDirectory);
    }

    @Override
    public void release(ReleaseTools host) throws InterruptedException {
        List<ProcessHandle> helpers = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(this::isKeptUpBy)
                .toList();
        helpers.forEach(ProcessHandle::destroy);
        for (ProcessHandle helper : helpers) {
            ProcessEnds.awaitOrKill(helper, STOP_WAIT);
        }
    }

    @Override
    public boolean isKeptUpBy(ProcessHandle process) {
        return process.info()
                .commandLine()
                .map(c -> c.contains(workDirectory.toString()))
                .orElse(false);
    }
}
