package io.imginject.worker.handler.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.testing.HostRequirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Choosing a kernel nbd device. This machine's kernel has no nbd module, so the pool runs against a fake sysfs
 * tree in a temporary directory: {@code block/nbdN} directories, with a {@code pid} file where the kernel would
 * show a connected server.
 */
class NbdDevicePoolTest {
    @TempDir
    Path directory;

    Path sysBlock;
    NbdDevicePool pool;

    @BeforeEach
    void fakeSysfs() throws Exception {
        sysBlock = Files.createDirectories(directory.resolve("sys/block"));
        Files.createDirectories(sysBlock.resolve("loop0"));
        pool = new NbdDevicePool(sysBlock, Path.of("/dev"), directory.resolve("locks"));
    }

    void devices(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            Files.createDirectories(sysBlock.resolve("nbd" + i));
        }
    }

    void connected(int device) throws Exception {
        Files.writeString(sysBlock.resolve("nbd" + device + "/pid"), "1234\n");
    }

    @Test
    void a_kernel_without_nbd0_has_no_nbd_support() throws Exception {
        assertThat(pool.kernelSupportsNbd()).isFalse();
        devices(1);
        assertThat(pool.kernelSupportsNbd()).isTrue();
    }

    @Test
    void never_hands_one_device_to_two_jobs() throws Exception {
        devices(16);
        List<NbdDevicePool.Lease> leases = new ArrayList<>();
        Set<Path> handedOut = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            NbdDevicePool.Lease lease = pool.lease();
            leases.add(lease);
            assertThat(handedOut.add(lease.device()))
                    .as("%s handed out twice", lease.device())
                    .isTrue();
        }
        assertThat(handedOut).allSatisfy(device -> assertThat(device.toString()).matches("/dev/nbd([0-9]|1[0-5])"));

        assertThatThrownBy(pool::lease)
                .isInstanceOf(InjectException.class)
                .hasMessageContaining("all 16 nbd devices are in use")
                .extracting(e -> ((InjectException) e).code())
                .isEqualTo(ErrorCode.DEVICE_BUSY);

        leases.get(3).close();
        assertThat(pool.lease().device()).isEqualTo(leases.get(3).device());
    }

    @Test
    void skips_a_device_the_kernel_shows_connected_by_anyone() throws Exception {
        devices(3);
        connected(0);
        connected(2);

        NbdDevicePool.Lease lease = pool.lease();

        assertThat(lease.device()).isEqualTo(Path.of("/dev/nbd1"));
        assertThat(lease.serverPidFile()).isEqualTo(sysBlock.resolve("nbd1/pid"));
        assertThatThrownBy(pool::lease)
                .extracting(e -> ((InjectException) e).code())
                .isEqualTo(ErrorCode.DEVICE_BUSY);
    }

    @Test
    void skips_a_device_another_worker_process_holds() throws Exception {
        HostRequirements.tools("python3");
        devices(2);
        Files.createDirectories(directory.resolve("locks"));
        Path held = directory.resolve("locks/nbd0.lock");
        Path ready = directory.resolve("ready");
        Process otherWorker = new ProcessBuilder(
                        "python3",
                        "-c",
                        "import fcntl,sys,time; f=open(sys.argv[1],'a'); fcntl.lockf(f, fcntl.LOCK_EX); open(sys.argv[2],'w').write('x'); time.sleep(60)",
                        held.toString(),
                        ready.toString())
                .start();
        try {
            for (int i = 0; i < 200 && !Files.exists(ready); i++) {
                Thread.sleep(25);
            }
            assertThat(ready).exists();

            for (int i = 0; i < 10; i++) {
                try (NbdDevicePool.Lease lease = pool.lease()) {
                    assertThat(lease.device()).isEqualTo(Path.of("/dev/nbd1"));
                }
            }
        } finally {
            otherWorker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(pool.lease().device()).isIn(Path.of("/dev/nbd0"), Path.of("/dev/nbd1"));
    }

    @Test
    void counts_only_nbd_devices_in_numeric_order() throws Exception {
        for (String name : List.of("nbd10", "nbd2", "nbdx", "sda", "nbd1p1")) {
            Files.createDirectories(sysBlock.resolve(name));
        }
        Set<Path> handedOut = new HashSet<>();
        for (int i = 0; i < 2; i++) {
            handedOut.add(pool.lease().device());
        }

        assertThat(handedOut).containsExactlyInAnyOrder(Path.of("/dev/nbd2"), Path.of("/dev/nbd10"));
    }
}
