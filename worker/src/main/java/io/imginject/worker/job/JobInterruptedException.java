package io.imginject.worker.job;

/**
 * The worker interrupted a job because it is shutting down and the grace period is over. The job has released
 * what it held; its request goes back to the queue, unanswered, to run again.
 */
public final class JobInterruptedException extends RuntimeException {
    public JobInterruptedException() {
        super("the job was interrupted by the worker's shutdown");
    }
}
