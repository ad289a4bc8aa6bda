package io.imginject.worker.testing;

import io.imginject.worker.host.LoopDevice;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.ResourceJournal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A stand-in for a worker killed while one of its commands runs, run as its own JVM by crash-recovery tests: it
 * records a loop device on a region of an image in its journal, as the worker does before it attaches one, starts
 * the attaching command slowed by a second, says {@code attaching}, and waits to be killed. The command outlives
 * it and takes the device after it died.
 *
 * <p>Arguments: run directory, raw image, offset, size.
 */
public final class StragglingChild {
    private StragglingChild() {}

    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[1]);
        long offset = Long.parseLong(args[2]);
        long size = Long.parseLong(args[3]);
        ProcessRunner runner = new ProcessRunner(Duration.ofMinutes(1));
        ResourceJournal journal = ResourceJournal.open(Path.of(args[0]).resolve("journal"));
        journal.acquired(new LoopDevice(image, offset, size));
        Thread attaching = new Thread(() -> runner.runAllowingFailure(List.of(
                "sh",
                "-c",
                "sleep 1; exec losetup --find --offset " + offset + " --sizelimit " + size + " '" + image + "'")));
        attaching.start();
        Thread.sleep(200);
        System.out.println("attaching");
        System.out.flush();
        attaching.join();
        Thread.sleep(Duration.ofMinutes(10).toMillis());
    }
}
