package io.imginject.worker.handler;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.PartitionSelector;
import io.imginject.worker.handler.guestfs.GuestfsSupport;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A Windows (NTFS) image gets unsupported_guest naming what was found, from every handler, never a generic failure. */
@ExtendWith(NoHostLeaks.class)
class UnsupportedGuestTest {
    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS),
            1,
            "losetup",
            "mount",
            "blkid",
            "mkfs.ntfs",
            "sfdisk",
            "dd",
            "qemu-img",
            "qemu-nbd",
            "nbdfuse",
            "fusermount3");

    @ParameterizedTest
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void a_windows_disk_is_an_unsupported_guest(HandlerName handler) throws Exception {
        Path image = windowsDisk("windows-" + handler.wireName() + ".img");

        InjectionReply reply = call(image, handler);

        assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.UNSUPPORTED_GUEST);
        assertThat(reply.error().message())
                .contains("the image holds Windows (an NTFS filesystem) on partition 1")
                .contains("this worker injects into Linux guests only");
    }

    @Test
    void a_whole_disk_ntfs_filesystem_is_one_too() throws Exception {
        Path image = shared.get().images().resolve("ntfs-whole.img");
        Commands.run("truncate", "-s", "16M", image.toString());
        Commands.run("mkfs.ntfs", "-q", "-F", "-f", image.toString());

        InjectionReply reply = shared.get()
                .call(InjectionRequest.of(
                                new ImageRef(image.toString(), Optional.empty(), new PartitionSelector.WholeDisk()),
                                Injections.none().withHostname("w"))
                        .withHandlers(List.of(HandlerName.LOOP)));

        assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.UNSUPPORTED_GUEST);
        assertThat(reply.error().message()).contains("Windows (an NTFS filesystem) on whole disk");
    }

    @Test
    void guestfs_says_the_same() throws Exception {
        HostRequirements.need(
                GuestfsSupport.problem().isEmpty(),
                "guestfs: " + GuestfsSupport.problem().orElse(""));
        Path image = windowsDisk("windows-guestfs.img");

        InjectionReply reply = call(image, HandlerName.GUESTFS);

        assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.UNSUPPORTED_GUEST);
        assertThat(reply.error().message()).contains("Windows (an NTFS filesystem)");
    }

    private static Path windowsDisk(String name) throws Exception {
        return TestImages.windowsDisk(shared.get().images(), name);
    }

    private static InjectionReply call(Path image, HandlerName handler) throws Exception {
        return shared.get()
                .call(InjectionRequest.of(
                                ImageRef.of(image.toString()), Injections.none().withHostname("w"))
                        .withHandlers(List.of(handler)));
    }
}
