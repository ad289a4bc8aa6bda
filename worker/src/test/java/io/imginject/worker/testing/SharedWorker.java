package io.imginject.worker.testing;

import io.imginject.protocol.HandlerName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link WorkerFixture} for all the tests of a class, in a temporary directory of its own, for
 * {@code @RegisterExtension static final SharedWorker worker = ...}. Checks root and the given tools first.
 */
public final class SharedWorker implements BeforeAllCallback, AfterAllCallback {
    private final List<HandlerName> handlers;
    private final int concurrency;
    private final String[] tools;
    private Path directory;
    private WorkerFixture fixture;

    public SharedWorker(List<HandlerName> handlers, int concurrency, String... tools) {
        this.handlers = List.copyOf(handlers);
        this.concurrency = concurrency;
        this.tools = tools.clone();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        HostRequirements.root();
        HostRequirements.tools(tools);
        directory = Files.createTempDirectory("imginject-test-");
        fixture = WorkerFixture.start(directory, handlers, concurrency);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (fixture != null) {
                fixture.close();
            }
        } finally {
            if (directory != null) {
                TestImages.deleteTree(directory);
            }
        }
    }

    /** The worker, once the class's tests run. */
    public WorkerFixture get() {
        return fixture;
    }
}
