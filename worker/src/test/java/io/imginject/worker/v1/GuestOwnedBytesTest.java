package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.ImageReader;
import io.imginject.worker.testing.NoHostLeaks;
import io.imginject.worker.testing.Requests;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.TestImages.Fs;
import io.imginject.worker.testing.TestImages.Layout;
import io.imginject.worker.testing.WorkerFixture;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The bytes of a guest file that an item does not change stay exactly as the guest wrote them, UTF-8 or not. */
@ExtendWith(NoHostLeaks.class)
class GuestOwnedBytesTest {
    private static final byte[] LATIN1_SHADOW_LINE = bytes("daemon:*:19000:0:99999:7:::caf\u00e9\n", true);
    private static final byte[] LATIN1_KEY_LINE =
            bytes("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 Ren\u00e9e's laptop \u00ff\n", true);

    @TempDir
    Path directory;

    @Test
    void non_utf8_bytes_in_shadow_and_authorized_keys_survive_the_rewrite() throws Exception {
        byte[] shadow = concat(
                bytes("root:*:19000:0:99999:7:::\n", false), LATIN1_SHADOW_LINE, new byte[] {(byte) 0xC3, 0x28, '\n'});
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built image = TestImages.build(
                    worker.images(),
                    "latin1.img",
                    Layout.GPT,
                    Fs.EXT4,
                    GuestTree.linuxRoot()
                            .file("/etc/shadow", shadow, 0640, 0, 42)
                            .dir("/root/.ssh", 0700, 0, 0)
                            .file("/root/.ssh/authorized_keys", LATIN1_KEY_LINE, 0600, 0, 0));

            InjectionReply reply = worker.call(InjectionRequest.of(
                    ImageRef.of(image.path().toString()),
                    Injections.none()
                            .withKey(SshPublicKey.parse(Requests.KEY))
                            .withAdminPassword(Secret.of("s3cret"))));

            assertThat(reply.status()).as("%s", reply).isEqualTo(InjectionReply.Status.OK);
            try (ImageReader guest = ImageReader.open(image)) {
                byte[] newShadow = Files.readAllBytes(guest.path("/etc/shadow"));
                assertThat(new String(newShadow, StandardCharsets.ISO_8859_1)).startsWith("root:$6$");
                assertThat(Arrays.copyOfRange(
                                newShadow, newShadow.length - LATIN1_SHADOW_LINE.length - 3, newShadow.length))
                        .isEqualTo(concat(LATIN1_SHADOW_LINE, new byte[] {(byte) 0xC3, 0x28, '\n'}));
                byte[] keys = Files.readAllBytes(guest.path("/root/.ssh/authorized_keys"));
                assertThat(Arrays.copyOf(keys, LATIN1_KEY_LINE.length)).isEqualTo(LATIN1_KEY_LINE);
                assertThat(new String(keys, StandardCharsets.ISO_8859_1)).endsWith(Requests.KEY + "\n");
            }
        }
    }

    private static byte[] bytes(String text, boolean latin1) {
        return text.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
