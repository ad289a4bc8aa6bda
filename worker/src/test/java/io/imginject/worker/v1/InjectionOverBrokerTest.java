package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionClient;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.PartitionSelector;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.testing.Fsck;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestBroker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A scheduler's request travels through the real broker to a real worker, which injects into a real image.
 * What lands in the guest, for every handler and kind of image, is specified by {@code HandlerParityTest}.
 */
@ExtendWith(NoHostLeaks.class)
class InjectionOverBrokerTest {
    static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg user@example";

    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(
            List.of(HandlerName.LOOP), 2, "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "e2fsck");

    static WorkerFixture worker() {
        return shared.get();
    }

    static InjectionRequest everything(TestImages.Built image) {
        return InjectionRequest.of(
                        ImageRef.of(image.path().toString()),
                        Injections.none()
                                .withKey(SshPublicKey.parse(KEY))
                                .withAdminPassword(Secret.of("s3cret"))
                                .withFiles(List.of(
                                        FileInjection.of("/etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8)),
                                        FileInjection.of("/home/alice/notes", "x".getBytes(StandardCharsets.UTF_8))
                                                .withMode(0640)
                                                .withOwner(1000, 1000)))
                                .withMetadata(Map.of("role", "web"))
                                .withNet("auto eth0\niface eth0 inet dhcp\n"))
                .withMandatory(Set.of(ItemName.FILES));
    }

    @Test
    void the_reply_carries_the_requests_correlation_id_and_its_message_id_as_job_id() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "corr.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());

        worker().publishRaw(
                        worker().replyingProperties("corr-42")
                                .messageId("job-7")
                                .build(),
                        RequestEncoder.encode(InjectionRequest.of(
                                ImageRef.of(image.path().toString()),
                                Injections.none().withNet("auto lo\n"))));
        WorkerFixture.RawReply reply = worker().nextRawReply();

        assertThat(reply.properties().getCorrelationId()).isEqualTo("corr-42");
        assertThat(reply.properties().getContentType()).isEqualTo("application/json");
        assertThat(reply.reply().jobId()).isEqualTo("job-7");
        assertThat(reply.reply().host()).isEqualTo(worker().host());
        assertThat(reply.reply().status()).isEqualTo(InjectionReply.Status.OK);
    }

    @Test
    void a_named_partition_is_used_as_is() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "named.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());

        InjectionReply reply = worker().call(InjectionRequest.of(
                ImageRef.of(image.path().toString()).withPartition(new PartitionSelector.Numbered(2)),
                Injections.none().withNet("auto lo\n")));

        assertThat(reply.isOk()).as("%s", reply).isTrue();
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/etc/network/interfaces")).isEqualTo("auto lo\n");
        }
    }

    @Test
    void the_same_job_delivered_twice_leaves_one_key_line_and_the_same_result() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "twice.img", Layout.GPT, Fs.EXT4, GuestTree.linuxRoot());
        byte[] body = RequestEncoder.encode(everything(image));

        worker().publishRaw(
                        worker().replyingProperties("first")
                                .messageId("same-job")
                                .build(),
                        body);
        worker().publishRaw(
                        worker().replyingProperties("second")
                                .messageId("same-job")
                                .build(),
                        body);
        InjectionReply first = worker().nextRawReply().reply();
        InjectionReply second = worker().nextRawReply().reply();

        assertThat(first.jobId()).isEqualTo("same-job").isEqualTo(second.jobId());
        assertThat(first.status()).isEqualTo(InjectionReply.Status.OK).isEqualTo(second.status());
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/root/.ssh/authorized_keys").lines()).containsExactly(KEY);
            assertThat(guest.exists("/.autorelabel")).isFalse();
        }
        Fsck.assertClean(image);
    }

    @Test
    void a_fire_and_forget_request_without_reply_to_is_still_done() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "cast.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());

        worker().client()
                .cast(
                        worker().host(),
                        InjectionRequest.of(
                                ImageRef.of(image.path().toString()),
                                Injections.none().withMetadata(Map.of("cast", "yes"))),
                        "cast-job");

        ImageReader.awaitFile(image, "/meta.js");
    }

    @Test
    void a_client_with_durable_replies_gets_them_on_its_own_quorum_queue_which_outlives_it() throws Exception {
        TestImages.Built image =
                TestImages.build(worker().images(), "durable.img", Layout.WHOLE_DISK, Fs.EXT4, GuestTree.linuxRoot());
        String replyQueue = "durable-replies-" + UUID.randomUUID();

        try (Connection connection = TestBroker.connect("durable-replies-test")) {
            try (InjectionClient client = InjectionClient.openWithDurableReplies(connection, replyQueue)) {
                InjectionReply reply = client.call(
                        worker().host(),
                        InjectionRequest.of(
                                ImageRef.of(image.path().toString()),
                                Injections.none().withMetadata(Map.of("durable", "yes"))),
                        Duration.ofMinutes(1));
                assertThat(reply.status()).isEqualTo(InjectionReply.Status.OK);
            }
            try (Channel channel = connection.createChannel()) {
                channel.confirmSelect();
                channel.basicPublish(
                        "",
                        replyQueue,
                        MessageProperties.PERSISTENT_BASIC,
                        "a reply while no client listens".getBytes(StandardCharsets.UTF_8));
                channel.waitForConfirmsOrDie(10_000);
            }
            try (Channel channel = connection.createChannel()) {
                assertThat(channel.queueDeclarePassive(replyQueue).getMessageCount())
                        .as("replies wait in the queue")
                        .isEqualTo(1);
                channel.queueDelete(replyQueue);
            }
        }
        try (ImageReader guest = ImageReader.open(image)) {
            assertThat(guest.read("/meta.js")).contains("durable");
        }
    }
}
