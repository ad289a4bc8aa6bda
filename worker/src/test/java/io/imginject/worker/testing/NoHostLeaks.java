package io.imginject.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a loop device attached, a filesystem (FUSE included) mounted, or a helper process
 * (qemu-nbd, nbdfuse, an appliance's qemu) running that was not there before it ran: the product must release
 * every one of them in every path, errors included.
 */
public final class NoHostLeaks implements BeforeEachCallback, AfterEachCallback {
    private static final Pattern HELPERS = Pattern.compile("qemu-nbd|nbdfuse|fuse2fs|qemu-storage-daemon|qemu-system");
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoHostLeaks.class);

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        context.getStore(NAMESPACE).put("before", snapshot());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        @SuppressWarnings("unchecked")
        Set<String> before = context.getStore(NAMESPACE).get("before", Set.class);
        Set<String> after = snapshot();
        after.removeAll(before);
        assertThat(after).as("loop devices and mounts this test left behind").isEmpty();
    }

    /** Attached loop devices with their backing files, mount points, and helper processes. */
    public static Set<String> snapshot() throws IOException {
        Set<String> held = new HashSet<>();
        for (String line : Commands.run("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE")
                .lines()
                .toList()) {
            if (!line.isBlank()) {
                held.add("loop " + line.strip());
            }
        }
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        for (String line : mounts) {
            held.add("mount " + line.split(" ", -1)[4]);
        }
        ProcessHandle.allProcesses()
                .filter(p ->
                        p.info().command().map(c -> HELPERS.matcher(c).find()).orElse(false))
                .forEach(p -> held.add(
                        "process " + p.pid() + " " + p.info().commandLine().orElse("")));
        return held;
    }
}
