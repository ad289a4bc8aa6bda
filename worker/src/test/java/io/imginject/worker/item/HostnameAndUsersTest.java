package io.imginject.worker.item;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.testing.Distributions;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The hostname and users items on real images, through the real broker and each host-mount handler. */
@ExtendWith(NoHostLeaks.class)
class HostnameAndUsersTest {
    private static final AtomicInteger images = new AtomicInteger();

    @RegisterExtension
    static final SharedWorker shared = new SharedWorker(List.of(HandlerName.LOOP, HandlerName.NBD), 2,
            "losetup", "mount", "blkid", "mkfs.ext4", "sfdisk", "qemu-img", "qemu-nbd", "nbdfuse", "fusermount3", "e2fsck");

    @ParameterizedTest
    @EnumSource(value = HandlerName.class, names = {"LOOP", "NBD"})
    void hostname_rewrites_the_127_0_1_1_line_and_leaves_the_others(HandlerName handler) throws Exception {
        TestImages.Built image = build(Distributions.ubuntuNetplan().file("/etc/hostname", "ubuntu\n", 0644, 0, 0));

        ItemResult first = call(image, Injections.none().withHostname("web1.example.com"), handler).items().get("hostname");
        ItemResult second = call(image, Injections.none().withHostname("web1.example.com"), handler).items().get("hostname");

        assertThat(first.message()).isEqualTo("host name web1.example.com: wrote /etc/hostname, /etc/hosts");
        assertThat(second.message()).isEqualTo("host name already web1.example.com in /etc/hostname and /etc/hosts");
        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/etc/hostname")).isEqualTo("web1.example.com\n");
            assertThat(reader.read("/etc/hosts")).isEqualTo("127.0.0.1 localhost\n127.0.1.1\tweb1.example.com web1\n\n::1 ip6-localhost ip6-loopback\n");
        }
    }

    @ParameterizedTest
    @EnumSource(value = HandlerName.class, names = {"LOOP"})
    void hostname_adds_a_127_0_1_1_line_after_localhost_where_there_is_none(HandlerName handler) throws Exception {
        TestImages.Built image = build(GuestTree.linuxRoot().file("/etc/hosts", "# static\n127.0.0.1 localhost\n10.0.0.9 db", 0644, 0, 0));

        call(image, Injections.none().withHostname("web1"), handler);

        try (ImageReader reader = ImageReader.open(image)) {
            assertThat(reader.read("/etc/hosts")).isEqualTo("# static\n127.0.0.1 localhost\n127.0.1.1\tweb1\n10.0.0.9 db\n");
            assertThat(reader.ownership("/etc/hostname").mode()).isEqualTo(0644);
        }
    }

    static TestImages.Built build(GuestTree tree) throws Exception {
        return TestImages.build(shared.get().images(), "identity-" + images.incrementAndGet() + ".img", Layout.GPT, Fs.EXT4, tree);
    }

    static InjectionReply call(TestImages.Built image, Injections inject, HandlerName handler) throws Exception {
        InjectionReply reply = shared.get().call(InjectionRequest.of(ImageRef.of(image.path().toString()), inject).withHandlers(List.of(handler)));
        assertThat(reply.handler()).as("%s", reply).isEqualTo(handler.wireName());
        return reply;
    }
}
