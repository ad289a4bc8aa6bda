package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageFormat;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.Outcome;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.Secret;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A job that cannot be done gets an error reply whose code and message say why. */
@ExtendWith(NoHostLeaks.class)
class FailureRepliesTest {
    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP), 2, "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "mkswap");

    static WorkerFixture worker() {
        return shared.get();
    }

    static InjectionReply netInto(ImageRef image) throws Exception {
        return worker().call(InjectionRequest.of(image, Injections.none().withNet("auto lo\n")));
    }

    static InjectionReply netInto(Path image) throws Exception {
        return netInto(ImageRef.of(image.toString()));
    }

    static void assertError(InjectionReply reply, ErrorCode code, String messagePart) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.ERROR);
        assertThat(reply.error().code()).as("%s", reply.error()).isEqualTo(code);
        assertThat(reply.error().message()).contains(messagePart);
        assertThat(reply.error().retryable()).isEqualTo(code.isTransient());
    }

    @Test
    void an_image_that_does_not_exist() throws Exception {
        assertError(netInto(worker().images().resolve("nope.img")), ErrorCode.IMAGE_NOT_FOUND, "nope.img");
    }

    @Test
    void an_image_outside_the_roots() throws Exception {
        assertError(netInto(Path.of("/etc/passwd")), ErrorCode.IMAGE_OUTSIDE_ROOTS, "not under an image root");
    }

    @Test
    void an_image_path_that_climbs_out_of_the_roots() throws Exception {
        assertError(
                netInto(worker().images().resolve("../../../etc/passwd")),
                ErrorCode.IMAGE_OUTSIDE_ROOTS,
                "not under an image root");
    }

    @Test
    void a_symlink_in_the_roots_that_leads_out_of_them() throws Exception {
        Path link = Files.createSymbolicLink(worker().images().resolve("escape.img"), Path.of("/etc/hostname"));

        assertError(netInto(link), ErrorCode.IMAGE_OUTSIDE_ROOTS, "resolves to /etc/hostname");
    }

    @Test
    void a_directory_or_fifo_instead_of_an_image_file() throws Exception {
        Path directoryImage = Files.createDirectories(worker().images().resolve("dir.img"));
        Path fifo = worker().images().resolve("fifo.img");
        Commands.run("mkfifo", fifo.toString());

        assertError(netInto(directoryImage), ErrorCode.IMAGE_NOT_REGULAR_FILE, "directory");
        assertError(netInto(fifo), ErrorCode.IMAGE_NOT_REGULAR_FILE, "fifo");
    }

    @Test
    void a_block_device_node_inside_the_roots() throws Exception {
        Path device = worker().images().resolve("device.img");
        Commands.run("mknod", device.toString(), "b", "7", "200");

        assertError(netInto(device), ErrorCode.IMAGE_NOT_REGULAR_FILE, "device");
    }

    @Test
    void an_image_in_a_format_the_worker_does_not_know() throws Exception {
        Path parallels = worker().images().resolve("disk.hdd");
        Commands.run("qemu-img", "create", "-q", "-f", "parallels", parallels.toString(), "16M");

        assertError(netInto(parallels), ErrorCode.UNSUPPORTED_FORMAT, "\"parallels\"");
    }

    @Test
    void a_qcow2_image_when_only_loop_is_enabled() throws Exception {
        TestImages.Built raw =
                TestImages.build(worker().images(), "q.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());
        TestImages.Built qcow2 = TestImages.toQcow2(raw);

        InjectionReply reply = netInto(qcow2.path());

        assertError(reply, ErrorCode.NO_HANDLER, "loop reads raw images only; this one is qcow2");
        assertThat(reply.attempts()).singleElement().satisfies(a -> {
            assertThat(a.handler()).isEqualTo("loop");
            assertThat(a.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(a.code()).isEqualTo(ErrorCode.HANDLER_UNAVAILABLE);
        });
    }

    @Test
    void a_handler_the_operator_did_not_enable() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "h.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());

        InjectionReply reply = worker().call(InjectionRequest.of(
                        ImageRef.of(image.path().toString()), Injections.none().withNet("x"))
                .withHandlers(List.of(HandlerName.GUESTFS)));

        assertError(reply, ErrorCode.NO_HANDLER, "guestfs is not enabled on this worker (enabled: loop)");
    }

    @Test
    void a_partition_the_table_does_not_have() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "p.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

        assertError(
                netInto(ImageRef.of(image.path().toString()).withPartition(new PartitionSelector.Numbered(5))),
                ErrorCode.PARTITION_NOT_FOUND,
                "GPT table has no partition 5 (it has 1, 2)");
    }

    @Test
    void a_partition_number_for_a_disk_without_a_table() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "nt.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());

        assertError(
                netInto(ImageRef.of(image.path().toString()).withPartition(new PartitionSelector.Numbered(1))),
                ErrorCode.PARTITION_NOT_FOUND,
                "no partition table");
    }

    @Test
    void an_image_without_an_operating_system() throws Exception {
        TestImages.Built image = TestImages.build(
                worker().images(),
                "data.img",
                Layout.GPT,
                Fs.EXT4,
                GuestTree.empty().file("/README", "just data", 0644, 0, 0));

        assertError(netInto(image.path()), ErrorCode.ROOT_NOT_FOUND, "holds an operating system root");
    }

    @Test
    void a_partition_holding_something_other_than_an_allowed_filesystem() throws Exception {
        Path image = worker().images().resolve("swap.img");
        Commands.run("truncate", "-s", "16M", image.toString());
        Commands.run("mkswap", "-q", image.toString());

        assertError(
                netInto(ImageRef.of(image.toString())
                        .withFormat(ImageFormat.RAW)
                        .withPartition(new PartitionSelector.WholeDisk())),
                ErrorCode.UNSUPPORTED_FILESYSTEM,
                "no filesystem that blkid recognises");
    }

    @Test
    void a_mandatory_item_that_fails_fails_the_job_while_the_others_are_still_reported() throws Exception {
        TestImages.Built image = TestImages.build(
                worker().images(),
                "noshadow.img",
                Layout.WHOLE_DISK,
                Fs.EXT4,
                GuestTree.linuxRoot().file("/etc/shadow", "alice:!:1::::::\n", 0640, 0, 0));

        InjectionReply reply = worker().call(InjectionRequest.of(
                        ImageRef.of(image.path().toString()),
                        Injections.none().withAdminPassword(Secret.of("pw")).withNet("auto lo\n"))
                .withMandatory(Set.of(ItemName.ADMIN_PASSWORD)));

        assertError(
                reply,
                ErrorCode.MANDATORY_ITEM_FAILED,
                "admin_password (guest_content_invalid: the guest's /etc/shadow has no entry for root)");
        assertThat(reply.items().get("net").status()).isEqualTo(Outcome.OK);
        assertThat(reply.items().get("admin_password").status()).isEqualTo(Outcome.FAILED);
        assertThat(reply.handler()).isEqualTo("loop");
    }

    @Test
    void an_item_that_fails_without_being_mandatory_leaves_the_job_ok() throws Exception {
        TestImages.Built image = TestImages.build(
                worker().images(),
                "optional.img",
                Layout.WHOLE_DISK,
                Fs.EXT4,
                GuestTree.linuxRoot().file("/etc/shadow", "alice:!:1::::::\n", 0640, 0, 0));

        InjectionReply reply = worker().call(InjectionRequest.of(
                ImageRef.of(image.path().toString()), Injections.none().withAdminPassword(Secret.of("pw"))));

        assertThat(reply.status()).isEqualTo(InjectionReply.Status.OK);
        assertThat(reply.items().get("admin_password").code()).isEqualTo(ErrorCode.GUEST_CONTENT_INVALID);
    }
}
