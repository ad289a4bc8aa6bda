package io.imginject.worker.host;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A kernel nbd device that {@code qemu-nbd --connect} serves. Released by disconnecting it and waiting until its
 * qemu-nbd is gone: the process has exited (so the image is flushed) and the kernel shows no server on the device
 * any more ({@code /sys/block/nbdN/pid} is gone).
 */
public record NbdConnection(Path device) implements HeldResource {
    private static final Duration GONE_WAIT = Duration.ofSeconds(30);

    static NbdConnection from(JournalFields fields) throws UnreadableJournalException {
        return new NbdConnection(fields.path("device"));
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("device", device);
    }

    /** Where the kernel shows the thread of the device's server while it is connected. */
    public Path serverPidFile() {
        return Path.of("/sys/block", device.getFileName().toString(), "pid");
    }

    @Override
    public void release(ReleaseTools host) throws InterruptedException {
        Optional<ProcessHandle> server = server();
        if (server.isEmpty() && !Files.exists(serverPidFile())) {
            return;
        }
        host.runner().run("qemu-nbd", "--disconnect", device.toString());
        if (server.isPresent()) {
            ProcessEnds.awaitOrKill(server.get(), GONE_WAIT);
        }
        long deadline = System.nanoTime() + GONE_WAIT.toNanos();
        while (Files.exists(serverPidFile())) {
            if (System.nanoTime() > deadline) {
                throw new InjectException(
                        ErrorCode.CLEANUP_FAILED, device + " is still connected after qemu-nbd exited");
            }
            Thread.sleep(10);
        }
    }

    @Override
    public boolean isKeptUpBy(ProcessHandle process) {
        return process.info()
                .arguments()
                .map(List::of)
                .map(a -> a.contains("--connect=" + device))
                .orElse(false);
    }

    /** The qemu-nbd process whose thread the kernel shows as the device's server, while there is one. */
    private Optional<ProcessHandle> server() {
        try {
            String thread = Files.readString(serverPidFile()).strip();
            if (thread.isEmpty() || !thread.chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            return Files.readAllLines(Path.of("/proc", thread, "status")).stream()
                    .filter(line -> line.startsWith("Tgid:"))
                    .map(line -> Long.parseLong(line.substring("Tgid:".length()).strip()))
                    .findFirst()
                    .flatMap(ProcessHandle::of);
        } catch (IOException notConnected) {
            return Optional.empty();
        }
    }
}
