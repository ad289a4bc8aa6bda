package io.imginject.worker.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The worker's metrics registry, in Prometheus's text exposition format: the {@link WorkerMetrics} and the JVM's
 * and the process's basics (memory, garbage collection, threads, classes, CPU, uptime, open files).
 */
public final class PrometheusMetrics implements AutoCloseable {
    /** The content type of what {@link #scrape} returns, for an HTTP response. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final WorkerMetrics worker;

    public PrometheusMetrics() {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        worker = new WorkerMetrics(registry);
    }

    public WorkerMetrics worker() {
        return worker;
    }

    /** Every meter now, in the text format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** Stops following garbage collections and closes the registry. */
    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
