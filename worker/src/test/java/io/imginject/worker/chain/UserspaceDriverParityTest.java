package io.imginject.worker.chain;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.Attempt;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FilesystemDriver;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Outcome;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HandlerParityTest}'s ext4 cases, on a worker that trusts no image root: loop and nbd read every filesystem
 * with fuse2fs, and leave the very guest, and send the very items, that the host kernel's mount and guestfs do.
 */
@ExtendWith(NoHostLeaks.class)
class UserspaceDriverParityTest {
    @RegisterExtension
    static final SharedWorker shared = SharedWorker.untrusted(
            List.of(HandlerName.LOOP, HandlerName.NBD),
            2,
            "losetup",
            "blkid",
            "mkfs.ext4",
            "sfdisk",
            "qemu-img",
            "qemu-nbd",
            "nbdfuse",
            "fusermount3",
            "fuse2fs",
            "setpriv",
            "e2fsck");

    static WorkerFixture worker() {
        return shared.get();
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (HandlerName handler : List.of(HandlerName.LOOP, HandlerName.NBD)) {
            for (String format : handler == HandlerName.LOOP ? List.of("raw") : List.of("raw", "qcow2")) {
                for (Layout layout : Layout.values()) {
                    cases.add(Arguments.of(handler, format, layout));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: ext4 on {2}, {1}")
    @MethodSource("cases")
    void fuse2fs_leaves_the_same_guest_and_sends_the_same_reply(HandlerName handler, String format, Layout layout)
            throws Exception {
        TestImages.Built raw = TestImages.build(
                worker().images(), handler + "-" + layout + ".img", layout, Fs.EXT4, GuestTree.linuxRoot());
        TestImages.Built image = format.equals("qcow2") ? TestImages.toQcow2(raw) : raw;

        InjectionReply reply = worker().call(Requests.everything(image.path()).withHandlers(List.of(handler)));

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertReadByFuse2fs(reply, handler);
        assertThat(reply.items()).isEqualTo(HandlerParityTest.EXPECTED_ITEMS);
        assertThat(HandlerParityTest.guestState(image)).isEqualTo(HandlerParityTest.EXPECTED_GUEST);
        Fsck.assertClean(image);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void fuse2fs_writes_below_a_mountpoint_into_the_filesystem_the_guest_mounts_there(HandlerName handler)
            throws Exception {
        TestImages.Built image = HandlerParityTest.imageWithItsOwnBoot(worker(), handler);

        InjectionReply reply =
                worker().call(HandlerParityTest.bootFileRequest(image).withHandlers(List.of(handler)));

        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
        assertReadByFuse2fs(reply, handler);
        HandlerParityTest.assertTheFileLandedInBoot(image);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void fuse2fs_writes_the_guest_items_alike_and_a_second_run_writes_nothing(HandlerName handler) throws Exception {
        InjectionReply first = HandlerParityTest.assertGuestItemsAlikeAndIdempotent(worker(), handler);

        assertReadByFuse2fs(first, handler);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = HandlerName.class,
            names = {"LOOP", "NBD"})
    void a_windows_disk_is_an_unsupported_guest_on_an_untrusted_root_too(HandlerName handler) throws Exception {
        HostRequirements.tools("mkfs.ntfs", "dd", "truncate");
        Path image = TestImages.windowsDisk(worker().images(), "windows-" + handler.wireName() + ".img");

        InjectionReply reply = worker().call(InjectionRequest.of(
                        ImageRef.of(image.toString()), Injections.none().withHostname("w"))
                .withHandlers(List.of(handler)));

        assertThat(reply.error().code()).as("%s", reply).isEqualTo(ErrorCode.UNSUPPORTED_GUEST);
        assertThat(reply.error().message()).contains("the image holds Windows (an NTFS filesystem) on partition 1");
    }

    static void assertReadByFuse2fs(InjectionReply reply, HandlerName handler) {
        assertThat(reply.handler()).isEqualTo(handler.wireName());
        Attempt last = reply.attempts().get(reply.attempts().size() - 1);
        assertThat(last.outcome()).isEqualTo(Outcome.OK);
        assertThat(last.filesystem()).isEqualTo(FilesystemDriver.FUSE2FS);
    }
}
