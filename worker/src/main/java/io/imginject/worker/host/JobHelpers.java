package io.imginject.worker.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The helper processes (qemu-nbd, nbdfuse, an appliance's qemu) the job running on this thread started, so that
 * the job's deadline can kill exactly those and nothing else: each is known by its own {@link ProcessHandle}
 * (pid and start time, so a reused pid is never hit), never by a name or a command line. A job enters it on its
 * thread; helpers started there adopt themselves; {@link #killAll} may then run on any thread.
 */
public final class JobHelpers implements AutoCloseable {
    private static final ThreadLocal<JobHelpers> CURRENT = new ThreadLocal<>();

    /** A helper the job started and can kill. */
    public interface Helper {
        /** What it is, for the log and the reply, e.g. {@code qemu-nbd}. */
        String name();

        /** The helper's process while it runs; empty once it exited, or before it was started. */
        Optional<ProcessHandle> process();

        /**
         * Called when the job's deadline passed, before the helper is killed: from then on its death, by the kill or
         * by that of a helper it depends on, is expected, and its owner must not take it for a failure.
         */
        void markEndedByDeadline();
    }

    private final List<Helper> helpers = new CopyOnWriteArrayList<>();

    private JobHelpers() {}

    /** Starts recording the helpers this thread starts; closing stops it. */
    public static JobHelpers enter() {
        if (CURRENT.get() != null) {
            throw new IllegalStateException("a job is already running on this thread");
        }
        JobHelpers helpers = new JobHelpers();
        CURRENT.set(helpers);
        return helpers;
    }

    /** Records {@code helper} as the running job's, if a job runs on this thread. */
    public static void adopt(Helper helper) {
        JobHelpers current = CURRENT.get();
        if (current != null) {
            current.helpers.add(helper);
        }
    }

    /**
     * Marks every recorded helper ended by the deadline, kills (SIGKILL) those still running, and describes each
     * killed one, e.g. {@code qemu-nbd (pid 42)}.
     */
    public List<String> killAll() {
        List<String> killed = new ArrayList<>();
        helpers.forEach(Helper::markEndedByDeadline);
        for (Helper helper : helpers) {
            helper.process().filter(ProcessHandle::isAlive).ifPresent(process -> {
                if (process.destroyForcibly()) {
                    killed.add(helper.name() + " (pid " + process.pid() + ")");
                }
            });
        }
        return killed;
    }

    @Override
    public void close() {
        CURRENT.remove();
    }
}
