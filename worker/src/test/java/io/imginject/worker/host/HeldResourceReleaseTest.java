package io.imginject.worker.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.disk.DiskRegion;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.metrics.WorkerMetrics;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job and crash recovery release a held resource with one and the same code: what a job takes and cannot give
 * back, the next recovery releases from the journal's records; releasing what is gone does nothing; and what a
 * failed acquisition half took is released with the rest. Real loop devices and mounts throughout.
 */
@ExtendWith(NoHostLeaks.class)
class HeldResourceReleaseTest {
    @TempDir
    Path directory;

    Path runDir;
    ProcessRunner runner;
    ReleaseTools tools;
    TestImages.Built image;
    Set<String> before;

    @BeforeEach
    void anImageAndARunDirectory() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("losetup", "mount", "mkfs.ext4");
        runDir = Files.createDirectories(directory.resolve("run"));
        runner = new ProcessRunner(Duration.ofMinutes(1));
        tools = new ReleaseTools(runner, runDir);
        image = TestImages.build(
                Files.createDirectories(directory.resolve("images")),
                "disk.img",
                TestImages.Layout.WHOLE_DISK,
                TestImages.Fs.EXT4,
                GuestTree.linuxRoot());
        before = NoHostLeaks.snapshot();
    }

    /** What the loop path takes to mount {@link #image}: a work directory, a loop device on it, the mount. */
    List<HeldResource> mountTheImage(HostResources resources, Cleanup cleanup, Path mountPoint) throws IOException {
        DiskRegion region = DiskRegion.wholeDisk(image.size());
        resources.take(cleanup, new WorkDirectory(mountPoint), () -> Files.createDirectories(mountPoint));
        String device = resources.take(
                cleanup,
                new LoopDevice(image.path(), region.offset(), region.size()),
                () -> tools.loops().attach(image.path(), region.offset(), region.size(), false));
        resources.take(cleanup, new Mount(mountPoint), () -> {
            tools.mounts().mount(device, "ext4", List.of(), mountPoint);
            return mountPoint;
        });
        return List.of(
                new Mount(mountPoint),
                new LoopDevice(image.path(), region.offset(), region.size()),
                new WorkDirectory(mountPoint));
    }

    @Test
    void what_a_job_could_not_give_back_the_next_recovery_releases_from_its_journal() throws Exception {
        ResourceJournal journal = ResourceJournal.open(CrashRecovery.journals(runDir));
        Cleanup cleanup = new Cleanup();
        Path mountPoint = runDir.resolve("work/mnt-busy");
        List<HeldResource> taken = mountTheImage(new HostResources(journal, tools), cleanup, mountPoint);
        Process user = new ProcessBuilder("sleep", "300")
                .directory(mountPoint.toFile())
                .start();
        try {
            assertThatThrownBy(cleanup::close)
                    .as("a busy mount is never unmounted lazily")
                    .isInstanceOfSatisfying(
                            InjectException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLEANUP_FAILED));
            journal.close();
        } finally {
            user.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(journals())
                .as("the journal stays while it lists what is held")
                .hasSize(1);

        List<HeldResource> released =
                new CrashRecovery(runner, runDir, new WorkerMetrics(new SimpleMeterRegistry())).recoverDeadWorkers();

        assertThat(released).as("the very records the job took, newest first").isEqualTo(taken);
        assertThat(CrashRecoveryTest.difference(NoHostLeaks.snapshot(), before)).isEmpty();
        assertThat(mountPoint).doesNotExist();
        assertThat(journals()).isEmpty();
    }

    @Test
    void releasing_what_is_already_gone_does_nothing() throws Exception {
        try (ResourceJournal journal = ResourceJournal.open(CrashRecovery.journals(runDir))) {
            Cleanup cleanup = new Cleanup();
            List<HeldResource> taken =
                    mountTheImage(new HostResources(journal, tools), cleanup, runDir.resolve("work/mnt-twice"));
            cleanup.close();

            for (HeldResource resource : taken) {
                resource.release(tools);
            }
        }
        assertThat(CrashRecoveryTest.difference(NoHostLeaks.snapshot(), before)).isEmpty();
        assertThat(journals()).as("everything given back, the journal goes").isEmpty();
    }

    @Test
    void what_a_failed_acquisition_half_took_is_released_with_the_rest() throws Exception {
        Path mountPoint = runDir.resolve("work/mnt-failed");
        RuntimeException failure = new IllegalStateException("the attaching command died after it attached");
        try (ResourceJournal journal = ResourceJournal.open(CrashRecovery.journals(runDir))) {
            HostResources resources = new HostResources(journal, tools);
            DiskRegion region = DiskRegion.wholeDisk(image.size());

            assertThatThrownBy(() -> {
                        try (Cleanup cleanup = new Cleanup()) {
                            resources.take(
                                    cleanup, new WorkDirectory(mountPoint), () -> Files.createDirectories(mountPoint));
                            resources.take(
                                    cleanup, new LoopDevice(image.path(), region.offset(), region.size()), () -> {
                                        tools.loops().attach(image.path(), region.offset(), region.size(), false);
                                        assertThat(CrashRecoveryTest.difference(NoHostLeaks.snapshot(), before))
                                                .as("the device is attached")
                                                .isNotEmpty();
                                        throw failure;
                                    });
                        }
                    })
                    .isSameAs(failure)
                    .hasNoSuppressedExceptions();
        }
        assertThat(CrashRecoveryTest.difference(NoHostLeaks.snapshot(), before)).isEmpty();
        assertThat(mountPoint).doesNotExist();
        assertThat(journals()).as("everything given back, the journal goes").isEmpty();
    }

    List<Path> journals() throws Exception {
        try (Stream<Path> list = Files.list(CrashRecovery.journals(runDir))) {
            return list.toList();
        }
    }
}
