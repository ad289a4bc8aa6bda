package io.imginject.worker.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The environment every host command a worker starts runs in: the C locale, so output parses the same everywhere;
 * the tool search path; and a mark naming the worker's JVM, unique over time. A worker killed while one of its
 * commands runs (a losetup, a mount) leaves that command running on as an orphan, and it can still take a device
 * or a mount after the worker died. {@link CrashRecovery} finds such stragglers by the mark and lets them finish
 * before it releases what the dead worker held.
 */
public final class CommandEnvironment {
    static final String MARK_VARIABLE = "IMGINJECT_WORKER";
    private static final String THIS_JVM = ProcessHandle.current().pid() + "-" + UUID.randomUUID();

    private CommandEnvironment() {}

    /** The mark the commands this JVM starts carry. */
    public static String markOfThisJvm() {
        return THIS_JVM;
    }

    /** Sets the environment of a command about to start. */
    static void apply(ProcessBuilder builder) {
        builder.environment().put("LC_ALL", "C");
        builder.environment().put("PATH", HostTools.searchPath());
        builder.environment().put(MARK_VARIABLE, THIS_JVM);
    }

    /** The running processes that carry {@code mark}: commands started by that worker, and whatever they started. */
    static List<ProcessHandle> processesMarked(String mark) {
        byte[] wanted = (MARK_VARIABLE + "=" + mark).getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .filter(pid -> environmentHolds(Path.of("/proc", pid, "environ"), wanted))
                    .flatMap(pid -> ProcessHandle.of(Long.parseLong(pid)).stream())
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean environmentHolds(Path environ, byte[] entry) {
        byte[] environment;
        try {
            environment = Files.readAllBytes(environ);
        } catch (IOException gone) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= environment.length; i++) {
            if (i == environment.length || environment[i] == 0) {
                if (i - start == entry.length && Arrays.equals(environment, start, i, entry, 0, entry.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }
}
