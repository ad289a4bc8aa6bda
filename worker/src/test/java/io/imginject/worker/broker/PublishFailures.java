package io.imginject.worker.broker;

/** The publish failures the broker plumbing raises, for tests that script a {@link Publisher} outside this package. */
public final class PublishFailures {
    private PublishFailures() {}

    /** A publish that can never succeed as it is, {@code why} saying what refused it. */
    public static PublishRefusedException refused(String why) {
        return new PublishRefusedException(why, null);
    }

    /** A publish the broker nacked: the queue it went to refused it. */
    public static PublishNackedException nacked() {
        return new PublishNackedException("the broker nacked it");
    }
}
