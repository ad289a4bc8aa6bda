package io.imginject.worker.pipeline;

import java.util.HashSet;
import java.util.Set;
import org.slf4j.MDC;

/** A request's job id and log context in the logging MDC for as long as the pipeline handles it. */
final class LogContext implements AutoCloseable {
    static final String JOB = "job";

    private final Set<String> keys = new HashSet<>();

    private LogContext(Request<?> request) {
        put(JOB, request.jobId());
        request.logContext().forEach(this::put);
    }

    static LogContext of(Request<?> request) {
        return new LogContext(request);
    }

    private void put(String key, String value) {
        MDC.put(key, value);
        keys.add(key);
    }

    @Override
    public void close() {
        keys.forEach(MDC::remove);
    }
}
