package io.imginject.worker.testing;

import io.imginject.protocol.HandlerName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
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
    private final boolean trusted;
    private final String[] tools;
    private Path directory;
    private WorkerFixture fixture;

    /** A worker whose image root is trusted, so the host kernel mounts images as it did before trust existed. */
    public SharedWorker(List<HandlerName> handlers, int concurrency, String... tools) {
        this(handlers, concurrency, true, tools);
    }

    private SharedWorker(List<HandlerName> handlers, int concurrency, boolean trusted, String... tools) {
        this.handlers = List.copyOf(handlers);
        this.concurrency = concurrency;
        this.trusted = trusted;
        this.tools = tools.clone();
    }

    /** A worker that trusts no image root: loop and nbd read filesystems with fuse2fs. */
    public static SharedWorker untrusted(List<HandlerName> handlers, int concurrency, String... tools) {
        return new SharedWorker(handlers, concurrency, false, tools);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        HostRequirements.root();
        HostRequirements.tools(tools);
        directory = Files.createTempDirectory("imginject-test-");
        fixture = WorkerFixture.start(
                directory,
                handlers,
                config -> {
                    config.concurrency(concurrency);
                    return trusted ? config : config.trustedImageRoots(List.of());
                },
                UnaryOperator.identity());
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
