package io.imginject.worker.job;

import io.imginject.protocol.InjectionRequest;

/**
 * A validated request with the id it is known by.
 *
 * @param id the job id: the message id, else the correlation id, else one the worker made up
 * @param request what to do
 */
public record Job(String id, InjectionRequest request) {}
