package io.imginject.worker.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.worker.testing.HostRequirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding a job's loop devices while other jobs (of this worker or another) attach and detach theirs. */
class LoopDevicesTest {
    static final long SIZE = 1 << 20;

    @TempDir
    Path temp;

    @Test
    void are_found_while_other_devices_come_and_go() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("losetup");
        LoopDevices loops = new LoopDevices(new ProcessRunner(Duration.ofSeconds(30)));
        Path mine = Files.write(temp.resolve("mine.img"), new byte[(int) SIZE]);
        Path theirs = Files.write(temp.resolve("theirs.img"), new byte[(int) SIZE]);
        AtomicBoolean churning = new AtomicBoolean(true);
        AtomicInteger cycles = new AtomicInteger();
        AtomicReference<Throwable> churnFailure = new AtomicReference<>();
        Thread churn = new Thread(() -> {
            try {
                while (churning.get()) {
                    loops.detach(loops.attach(theirs, 0, SIZE, false));
                    cycles.incrementAndGet();
                }
            } catch (Throwable e) {
                churnFailure.set(e);
            }
        });
        String device = loops.attach(mine, 0, SIZE, false);
        churn.start();
        try {
            while (cycles.get() < 300 && churnFailure.get() == null) {
                assertThat(loops.attachedTo(mine, 0, SIZE)).containsExactly(device);
            }
        } finally {
            churning.set(false);
            churn.join();
            loops.detach(device);
        }
        assertThat(churnFailure.get()).isNull();
        assertThat(loops.attachedTo(mine, 0, SIZE)).isEmpty();
    }
}
