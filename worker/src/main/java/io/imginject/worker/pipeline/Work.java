package io.imginject.worker.pipeline;

import io.imginject.worker.job.JobInterruptedException;

/** What a request asks for, as its protocol runs it: a job, an RPC call, or nothing but the refusal already known. */
@FunctionalInterface
public interface Work {

    /**
     * Does it and says how it ended.
     *
     * @throws JobInterruptedException when the worker's shutdown stopped it: it is not answered but goes back to its queue
     */
    Ending run();
}
