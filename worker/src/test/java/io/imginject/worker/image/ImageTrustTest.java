package io.imginject.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ImageFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only the operator's trusted roots make an image trusted, and only when every file of its chain lies below one. */
@Tag("fast")
class ImageTrustTest {
    @TempDir
    Path directory;

    @Test
    void an_image_is_trusted_only_below_a_trusted_root_as_the_worker_holds_it_open() throws Exception {
        Path trusted = Files.createDirectories(directory.resolve("ops"));
        Path tenants = Files.createDirectories(directory.resolve("tenants"));
        Files.createSymbolicLink(directory.resolve("ops-link"), trusted);
        ImageTrust trust = new ImageTrust(List.of(directory.resolve("ops-link")));

        try (DiskImage operator = image(Files.createFile(trusted.resolve("a.img")));
                DiskImage tenant = image(Files.createFile(tenants.resolve("b.img")));
                DiskImage nextDoor = image(Files.createFile(
                        Files.createDirectories(directory.resolve("ops2")).resolve("c.img")))) {
            assertThat(trust.trusts(operator)).isTrue();
            assertThat(trust.trusts(tenant)).isFalse();
            assertThat(trust.trusts(nextDoor))
                    .as("a sibling whose name starts like the root")
                    .isFalse();
            Files.move(trusted.resolve("a.img"), tenants.resolve("a.img"));
            assertThat(trust.trusts(operator))
                    .as("moved out of the trusted root while held")
                    .isFalse();
        }
        assertThat(ImageTrust.none().roots()).isEmpty();
    }

    @Test
    void an_overlay_is_trusted_only_when_its_whole_backing_chain_is() throws Exception {
        Path trusted = Files.createDirectories(directory.resolve("ops"));
        Path tenants = Files.createDirectories(directory.resolve("tenants"));
        ImageTrust trust = new ImageTrust(List.of(trusted));
        HeldImageFile overlay = HeldImageFile.open(Files.createFile(trusted.resolve("overlay.qcow2")), false);
        HeldImageFile base = HeldImageFile.open(Files.createFile(tenants.resolve("base.img")), false);

        try (DiskImage image = new DiskImage(
                List.of(new DiskImage.Layer(overlay, ImageFormat.QCOW2), new DiskImage.Layer(base, ImageFormat.RAW)))) {
            assertThat(trust.trusts(image)).isFalse();
        }
    }

    @Test
    void a_trusted_root_that_does_not_exist_is_a_configuration_error() {
        assertThatThrownBy(() -> new ImageTrust(List.of(directory.resolve("missing"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trusted image root");
    }

    private static DiskImage image(Path file) {
        return DiskImage.of(HeldImageFile.open(file, false), ImageFormat.RAW);
    }
}
