package io.imginject.worker.pipeline;

import io.imginject.worker.host.SharedLocks;
import io.imginject.worker.job.JobInterruptedException;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delivery of a request at a time across the host's workers, from the look for its kept reply until its own
 * reply is kept: when the broker hands a request to a second worker while the first still runs it (the first's
 * channel died with a cluster node, so its delivery went back to the queue), the second waits and then finds the
 * first's reply kept, instead of running the job again and answering differently.
 *
 * <p>A claim is one of {@value #STRIPES} shared locks, chosen by the request's kept-reply key, so that no lock file
 * is ever made or deleted per request; two unrelated requests on one stripe wait for each other, which costs at most
 * one job's time and happens for about one pair in {@value #STRIPES}.
 */
final class RequestClaims {
    private static final Logger log = LoggerFactory.getLogger(RequestClaims.class);
    static final int STRIPES = 256;

    private final SharedLocks locks;
    private final Duration wait;

    /**
     * @param wait how long a delivery waits for the claim: the longest a twin may legitimately hold it (its job's
     *     deadline and the keeping of its reply)
     */
    RequestClaims(SharedLocks locks, Duration wait) {
        this.locks = locks;
        this.wait = wait;
    }

    /**
     * Claims the request with kept-reply key {@code key} (hex), waiting while another delivery holds it; empty when
     * the claim could not be had in time, or at all, and the request must run without it (the image lock still keeps
     * its image to one job at a time).
     *
     * @throws JobInterruptedException when the worker's shutdown interrupted the wait
     */
    Optional<SharedLocks.Held> claim(String key) {
        try {
            Optional<SharedLocks.Held> held = locks.lock(key.substring(0, 2) + ".claim", wait);
            if (held.isEmpty()) {
                log.warn(
                        "another delivery held this request's claim for over {} s; running it without",
                        wait.toSeconds());
            }
            return held;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobInterruptedException();
        } catch (IOException e) {
            log.warn("could not claim the request; running it without the claim: {}", e.toString());
            return Optional.empty();
        }
    }
}
