package io.imginject.worker.testing;

import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Logging in to a booted guest as root with the OpenSSH client and a {@link TestSshKey}, through the port qemu
 * forwards on 127.0.0.1. The guest's host key is new on every boot, so it is
 * neither checked nor remembered.
 */
public final class GuestSsh {
    /** One attempt: qemu's user network accepts the connection before the guest listens, so a stuck one is cut. */
    private static final ProcessRunner SSH = new ProcessRunner(Duration.ofSeconds(30));

    private final TestSshKey key;
    private final int port;

    /** Root of the guest whose sshd qemu forwards from 127.0.0.1:{@code port}, logging in with {@code key}. */
    public GuestSsh(TestSshKey key, int port) {
        this.key = key;
        this.port = port;
    }

    /**
     * Waits until root logs in with the key, trying every two seconds for at most {@code wait}; {@code guestGone}
     * names why waiting is pointless (qemu ended), and {@code console} is what the guest printed, for the failure.
     */
    public void awaitLogin(Duration wait, Supplier<Optional<String>> guestGone, Supplier<String> console)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        String last = "no attempt";
        while (System.nanoTime() < deadline) {
            Optional<String> gone = guestGone.get();
            if (gone.isPresent()) {
                throw new AssertionError(gone.get() + " before root could log in; its console:\n" + console.get());
            }
            try {
                CommandResult result = SSH.runAllowingFailure(command("true"));
                if (result.succeeded()) {
                    return;
                }
                last = "ssh exited with " + result.exitCode() + ": "
                        + result.stderr().strip();
            } catch (CommandFailedException stuck) {
                last = stuck.getMessage();
            }
            Thread.sleep(2000);
        }
        throw new AssertionError("root did not log in with the injected key within " + wait.toSeconds() + " s (last: "
                + last + "); the guest's console:\n" + console.get());
    }

    /** Runs {@code shellCommand} in the guest as root and returns what it printed; a failure fails the test. */
    public String run(String shellCommand) {
        CommandResult result = SSH.runAllowingFailure(command(shellCommand));
        if (!result.succeeded()) {
            throw new AssertionError("in the guest, '" + shellCommand + "' exited with " + result.exitCode() + ": "
                    + result.stderr().strip());
        }
        return result.stdout();
    }

    private List<String> command(String shellCommand) {
        List<String> argv = new ArrayList<>(List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-i",
                key.privateKey().toString(),
                "-p",
                Integer.toString(port),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "PasswordAuthentication=no",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=10",
                "root@127.0.0.1"));
        argv.add(shellCommand);
        return argv;
    }
}
