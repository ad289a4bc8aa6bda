package io.imginject.worker.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.worker.metrics.WorkerMetrics;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HoldingChild;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.StragglingChild;
import io.imginject.worker.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed mid-job leaves mounts, loop devices, a FUSE export and helper processes behind; the next worker to
 * start on the host releases them from the dead one's journal, and leaves a living sibling's alone. A command the
 * dead worker left running, which takes its device only after the worker died, is let finish first.
 */
@ExtendWith(NoHostLeaks.class)
class CrashRecoveryTest {
    @TempDir
    Path directory;

    Path images;
    Path runDir;
    CrashRecovery recovery;
    Set<String> before;

    @BeforeEach
    void aRunDirectoryAndWhatTheHostHoldsBefore() throws Exception {
        HostRequirements.root();
        images = Files.createDirectories(directory.resolve("images"));
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        runDir = Files.createDirectories(directory.resolve("run"));
        recovery = new CrashRecovery(
                new ProcessRunner(Duration.ofMinutes(1)), runDir, new WorkerMetrics(new SimpleMeterRegistry()));
        before = NoHostLeaks.snapshot();
    }

    @Test
    void the_next_start_releases_what_a_killed_worker_held_and_nothing_of_a_living_one() throws Exception {
        HostRequirements.tools(
                "losetup",
                "mount",
                "blkid",
                "mkfs.ext4",
                "sfdisk",
                "qemu-img",
                "qemu-nbd",
                "nbdfuse",
                "fusermount3",
                "fuse2fs");
        Process dead = null;
        Process living = null;
        try {
            dead = holdingChild("dead");
            Set<String> heldByDead = difference(NoHostLeaks.snapshot(), before);
            dead.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            living = holdingChild("living");
            Set<String> heldByLiving = difference(difference(NoHostLeaks.snapshot(), before), heldByDead);

            assertThat(heldByDead)
                    .as("what a worker mid-job holds")
                    .anyMatch(r -> r.startsWith("loop "))
                    .anyMatch(r -> r.startsWith("mount "))
                    .anyMatch(r -> r.contains("qemu-nbd"))
                    .anyMatch(r -> r.contains("nbdfuse"))
                    .anyMatch(r -> r.contains("fuse2fs"));
            assertThat(journals(runDir)).hasSize(2);

            List<HeldResource> released = recovery.recoverDeadWorkers();

            assertThat(released)
                    .extracting(HeldResource::kind)
                    .contains(
                            HeldResource.Kind.MOUNT,
                            HeldResource.Kind.LOOP,
                            HeldResource.Kind.FUSE,
                            HeldResource.Kind.HELPERS,
                            HeldResource.Kind.DIRECTORY);
            assertThat(difference(NoHostLeaks.snapshot(), before))
                    .as("only the living worker's resources are left")
                    .isEqualTo(heldByLiving);
            assertThat(journals(runDir))
                    .as("the dead worker's journal is gone, the living one's stays")
                    .hasSize(1);
            assertThat(living.isAlive()).isTrue();
        } finally {
            for (Process child : new Process[] {dead, living}) {
                if (child != null) {
                    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
            recovery.recoverDeadWorkers();
        }
        assertThat(difference(NoHostLeaks.snapshot(), before))
                .as("once the living one dies too and is recovered")
                .isEmpty();
        for (String name : List.of("dead", "living")) {
            Commands.run("e2fsck", "-fn", images.resolve(name + ".img") + "?offset=" + TestImages.gptRootOffset());
            Commands.run("e2fsck", "-fn", images.resolve(name + "-f.img") + "?offset=" + TestImages.gptRootOffset());
        }
    }

    @Test
    void what_cannot_be_released_yet_stays_in_the_journal_for_the_next_recovery() throws Exception {
        HostRequirements.tools(
                "losetup",
                "mount",
                "blkid",
                "mkfs.ext4",
                "sfdisk",
                "qemu-img",
                "qemu-nbd",
                "nbdfuse",
                "fusermount3",
                "fuse2fs");
        Process dead = holdingChild("busy");
        dead.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        String nbdExportDevice = Commands.run("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE")
                .lines()
                .filter(line -> line.contains("/export/disk"))
                .map(line -> line.strip().split("\\s+", -1)[0])
                .findFirst()
                .orElseThrow();
        String mount = Commands.run("findmnt", "--noheadings", "--output", "TARGET", "--source", nbdExportDevice)
                .strip();
        Process user = new ProcessBuilder("sleep", "300")
                .directory(Path.of(mount).toFile())
                .start();
        try {
            List<HeldResource> released = recovery.recoverDeadWorkers();

            assertThat(released).as("the busy mount on the nbd export").doesNotContain(new Mount(Path.of(mount)));
            assertThat(journals(runDir))
                    .as("kept while something it lists is busy")
                    .hasSize(1);
        } finally {
            user.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }

        recovery.recoverDeadWorkers();

        assertThat(difference(NoHostLeaks.snapshot(), before))
                .as("released once no longer busy")
                .isEmpty();
        assertThat(journals(runDir)).isEmpty();
    }

    /** Starts a {@link HoldingChild} on images of its own, named after it, and waits until it holds them. */
    Process holdingChild(String name) throws Exception {
        TestImages.Built raw = TestImages.build(
                images, name + ".img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        TestImages.Built qcow2 = TestImages.toQcow2(TestImages.build(
                images, name + "-q.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot()));
        TestImages.Built fuse = TestImages.build(
                images, name + "-f.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        return child(
                HoldingChild.class,
                name,
                "holding",
                runDir.toString(),
                raw.path().toString(),
                qcow2.path().toString(),
                fuse.path().toString());
    }

    /** Starts {@code main} as a JVM of its own, logging to a file named after it, and waits for its first line. */
    Process child(Class<?> main, String name, String firstLine, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command)
                .redirectError(directory.resolve(name + ".log").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine())
                .as("the child's first line; see " + directory.resolve(name + ".log"))
                .isEqualTo(firstLine);
        return child;
    }

    @Test
    void a_command_the_killed_worker_left_running_finishes_before_what_it_takes_is_released() throws Exception {
        HostRequirements.tools("losetup", "mkfs.ext4", "sfdisk");
        TestImages.Built image =
                TestImages.build(images, "late.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
        before = NoHostLeaks.snapshot();
        Process dead = child(
                StragglingChild.class,
                "straggling",
                "attaching",
                runDir.toString(),
                image.path().toString(),
                Long.toString(image.offset()),
                Long.toString(image.size()));
        dead.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

        List<HeldResource> released = recovery.recoverDeadWorkers();

        assertThat(released).extracting(HeldResource::kind).containsExactly(HeldResource.Kind.LOOP);
        Awaitility.await("the orphaned command's end")
                .atMost(Duration.ofSeconds(30))
                .until(() -> ProcessHandle.allProcesses()
                        .noneMatch(p -> p.info()
                                .commandLine()
                                .orElse("")
                                .contains(image.path().toString())));
        assertThat(difference(NoHostLeaks.snapshot(), before))
                .as("the loop device the orphaned losetup took is detached")
                .isEmpty();
        assertThat(journals(runDir)).isEmpty();
    }

    static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> result = new HashSet<>(a);
        result.removeAll(b);
        return result;
    }

    static List<Path> journals(Path runDir) throws Exception {
        try (Stream<Path> list = Files.list(runDir.resolve("journal"))) {
            return list.toList();
        }
    }
}
