package io.imginject.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ImageFormat;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.testing.Commands;
import io.imginject.worker.testing.HostRequirements;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker's own reading of image headers, on images qemu-img made. */
class ImageHeaderTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        HostRequirements.tools("qemu-img");
    }

    /** An image made by {@code qemu-img create -q OPTIONS... IMAGE [SIZE]}; {@code size} null for an overlay. */
    Path create(String name, String size, String... options) {
        Path image = dir.resolve(name);
        List<String> argv = new ArrayList<>(List.of("qemu-img", "create", "-q"));
        argv.addAll(List.of(options));
        argv.add(image.toString());
        if (size != null) {
            argv.add(size);
        }
        Commands.run(argv);
        return image;
    }

    static ImageHeader header(Path image) {
        try (HeldImageFile file = HeldImageFile.open(image, false)) {
            return ImageHeader.read(file);
        }
    }

    @Test
    void ordinary_images_of_every_format_are_recognised_and_name_nothing() throws Exception {
        Path raw = dir.resolve("plain.img");
        Files.write(raw, new byte[1 << 20]);
        assertThat(header(raw))
                .isEqualTo(new ImageHeader(ImageFormat.RAW, Optional.empty(), Optional.empty(), List.of()));
        for (String[] made : new String[][] {
            {"qcow2", "qcow2"},
            {"qed", "qed"},
            {"vdi", "vdi"},
            {"vhdx", "vhdx"},
            {"vpc", "vpc"},
            {"vmdk", "subformat=monolithicSparse"},
            {"vmdk", "subformat=streamOptimized"}
        }) {
            Path image = made[1].startsWith("subformat")
                    ? create(made[1].substring(10) + ".vmdk", "16M", "-f", "vmdk", "-o", made[1])
                    : create("x." + made[0], "16M", "-f", made[0]);
            ImageHeader header = header(image);

            assertThat(header.format().qemuName()).as("%s", image).isEqualTo(made[0]);
            assertThat(header.namesOtherFiles())
                    .as("%s names %s", image, header.describeNames())
                    .isFalse();
        }
    }

    @Test
    void backing_files_and_their_recorded_formats_are_read_from_qcow2_and_qed() {
        create("base.img", "1M", "-f", "raw");
        ImageHeader qcow2 = header(create("o.qcow2", null, "-f", "qcow2", "-b", "base.img", "-F", "raw"));
        ImageHeader qed = header(create("o.qed", null, "-f", "qed", "-b", "base.img", "-F", "raw"));
        ImageHeader qedUnrecorded = header(create("u.qed", null, "-f", "qed", "-b", "o.qcow2", "-F", "qcow2"));

        assertThat(qcow2.backingFile()).contains("base.img");
        assertThat(qcow2.backingFormat()).contains("raw");
        assertThat(qed.backingFile()).contains("base.img");
        assertThat(qed.backingFormat()).contains("raw");
        assertThat(qedUnrecorded.backingFile()).contains("o.qcow2");
        assertThat(qedUnrecorded.backingFormat()).isEmpty();
    }

    @Test
    void a_qcow2_data_file_and_a_multi_file_vmdk_are_named() {
        ImageHeader data = header(create("d.qcow2", "1M", "-f", "qcow2", "-o", "data_file=" + dir.resolve("d.raw")));
        ImageHeader flat = header(create("f.vmdk", "1M", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentFlat"));

        assertThat(data.describeNames()).contains("external data file \"" + dir.resolve("d.raw") + "\"");
        assertThat(flat.format()).isEqualTo(ImageFormat.VMDK);
        assertThat(flat.describeNames()).contains("f-f001.vmdk").contains("twoGbMaxExtentFlat");
    }

    @Test
    void a_malformed_header_is_a_corrupt_image_not_an_internal_error() throws Exception {
        Path image = create("bad.qcow2", "1M", "-f", "qcow2");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.seek(8);
            file.writeLong(512);
            file.writeInt(0x7fffffff);
        }
        Path truncated = dir.resolve("short.qcow2");
        Files.write(truncated, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});

        for (Path bad : new Path[] {image, truncated}) {
            assertThatThrownBy(() -> header(bad))
                    .isInstanceOfSatisfying(
                            InjectException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_CORRUPT));
        }
    }
}
