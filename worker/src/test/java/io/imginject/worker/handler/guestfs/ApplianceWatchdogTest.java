package io.imginject.worker.handler.guestfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ImageFormat;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.handler.nbd.ServedImage;
import io.imginject.worker.host.HostResources;
import io.imginject.worker.host.ProcessRunner;
import io.imginject.worker.host.ReleaseTools;
import io.imginject.worker.host.ResourceJournal;
import io.imginject.worker.image.DiskImage;
import io.imginject.worker.image.HeldImageFile;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launch watchdog kills the appliance it launched and nothing else: not another qemu of this very JVM whose
 * command line holds the image path as part of its own disk's (another job's {@code disk.img.eph0}).
 */
@ExtendWith(NoHostLeaks.class)
class ApplianceWatchdogTest {
    @TempDir
    Path directory;

    @Test
    void a_launch_timeout_kills_only_the_appliance_it_launched() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("mkfs.ext4", "sfdisk", "qemu-img", "qemu-system-x86_64");
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
        TestImages.Built image = TestImages.build(directory, "disk.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        Path otherDisk = Files.copy(image.path(), directory.resolve("disk.img.eph0"));
        Process otherVm = new ProcessBuilder(
                        "qemu-system-x86_64",
                        "-machine",
                        "none",
                        "-nodefaults",
                        "-display",
                        "none",
                        "-S",
                        "-drive",
                        "file=" + otherDisk + ",format=raw,if=none,id=eph0")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
        try {
            GuestfsSettings settings =
                    new GuestfsSettings(GuestfsSettings.TcgMode.ALWAYS, 512, 1, Duration.ofSeconds(2));

            try (ResourceJournal journal = ResourceJournal.open(Files.createDirectory(directory.resolve("journal")));
                    DiskImage disk = DiskImage.of(HeldImageFile.open(image.path(), true), ImageFormat.RAW);
                    ServedImage served = ServedImage.serve(
                            disk,
                            ServedImage.Lifetime.UNTIL_ITS_CLIENT_LEAVES,
                            directory,
                            Duration.ofSeconds(10),
                            new HostResources(
                                    journal, new ReleaseTools(new ProcessRunner(Duration.ofMinutes(1)), directory)))) {
                assertThatThrownBy(() -> Appliance.launch(
                                settings, new ApplianceAcceleration(true, "TCG for the test"), disk, served, watchdog))
                        .isInstanceOfSatisfying(
                                InjectException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.HELPER_TIMEOUT));
            }

            assertThat(otherVm.isAlive())
                    .as("the other job's qemu, whose disk is %s", otherDisk)
                    .isTrue();
        } finally {
            watchdog.shutdownNow();
            otherVm.destroyForcibly();
            otherVm.onExit().join();
        }
    }
}
