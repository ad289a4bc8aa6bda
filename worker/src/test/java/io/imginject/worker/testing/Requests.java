package io.imginject.worker.testing;

import io.imginject.protocol.FileInjection;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.Secret;
import io.imginject.protocol.SshPublicKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Requests the tests send. */
public final class Requests {
    public static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg user@example";

    private Requests() {}

    /** Every item, into a {@link GuestTree#linuxRoot()} guest; files mandatory. */
    public static InjectionRequest everything(Path image) {
        return InjectionRequest.of(
                        ImageRef.of(image.toString()),
                        Injections.none()
                                .withKey(SshPublicKey.parse(KEY))
                                .withAdminPassword(Secret.of("s3cret"))
                                .withFiles(List.of(
                                        FileInjection.of("/etc/motd", utf8("hello\n")),
                                        FileInjection.of("/home/alice/notes", utf8("x"))
                                                .withMode(0640)
                                                .withOwner(1000, 1000),
                                        FileInjection.of("/opt/app/conf/app.ini", utf8("[app]\nsetuid=yes\n"))
                                                .withMode(04750)))
                                .withMetadata(Map.of("role", "web"))
                                .withNet("auto eth0\niface eth0 inet dhcp\n"))
                .withMandatory(Set.of(ItemName.FILES));
    }

    /** Just a network config: the cheapest request that opens the image and writes to it. */
    public static InjectionRequest net(Path image) {
        return InjectionRequest.of(
                ImageRef.of(image.toString()), Injections.none().withNet("auto lo\n"));
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
