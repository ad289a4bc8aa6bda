package io.imginject.worker.metrics;

import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;

/**
 * The worker's metrics registry, in Prometheus's text exposition format: the {@link WorkerMetrics} and the JVM's
 * and the process's basics (memory, garbage collection, threads, classes, CPU, uptime, open files). The process's
 * CPU time is {@code process_cpu_seconds_total}, Prometheus's own name for it, in place of Micrometer's
 * {@code process_cpu_time_ns_total}, and the host's CPUs are {@code system_cpus}, not {@code system_cpu_count}:
 * promtool rightly refuses an abbreviated unit, and a {@code _count} that is no histogram's.
 */
public final class PrometheusMetrics implements AutoCloseable {
    /** The content type of what {@link #scrape} returns, for an HTTP response. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final WorkerMetrics worker;

    public PrometheusMetrics() {
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9)
                    .description("CPU time the worker's process used")
                    .baseUnit("seconds")
                    .register(registry);
        }
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
