package io.imginject.worker.host;

/**
 * Where jobs take host resources: each is journaled, then its release registered with the job's {@link Cleanup},
 * then acquired. The release is registered before the acquisition, so what a failed acquisition left half taken (a
 * FUSE mount a helper made before it died, say) is released with the rest. Crash recovery releases what a dead
 * worker's journal still lists through the very same {@link HeldResource#release}.
 */
public final class HostResources {
    private final ResourceJournal journal;
    private final ReleaseTools tools;

    public HostResources(ResourceJournal journal, ReleaseTools tools) {
        this.journal = journal;
        this.tools = tools;
    }

    /** Taking a resource; returns what the taker needs of it, such as a loop device's name. */
    @FunctionalInterface
    public interface Acquisition<T, E extends Exception> {
        T acquire() throws E;
    }

    /** What the job checks once a resource is released, that a dead worker's journal cannot tell: a helper's exit status. */
    @FunctionalInterface
    public interface Check<T> {
        void after(T taken) throws Exception;
    }

    /** Journals {@code resource}, registers its release with {@code cleanup}, and acquires it. */
    public <T, E extends Exception> T take(Cleanup cleanup, HeldResource resource, Acquisition<T, E> acquisition)
            throws E {
        return take(cleanup, resource, acquisition, taken -> {});
    }

    /** As {@link #take(Cleanup, HeldResource, Acquisition)}, and runs {@code afterRelease} once it is released. */
    public <T, E extends Exception> T take(
            Cleanup cleanup, HeldResource resource, Acquisition<T, E> acquisition, Check<? super T> afterRelease)
            throws E {
        ResourceJournal.Entry entry = journal.acquired(resource);
        Taken<T> taken = new Taken<>();
        cleanup.push("release " + resource, () -> {
            resource.release(tools);
            entry.released();
            if (taken.value != null) {
                afterRelease.after(taken.value);
            }
        });
        taken.value = acquisition.acquire();
        return taken.value;
    }

    /** What an acquisition returned, once it returned. */
    private static final class Taken<T> {
        private volatile T value;
    }
}
