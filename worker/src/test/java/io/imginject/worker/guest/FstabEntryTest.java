package io.imginject.worker.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Reading a guest's /etc/fstab as its own mount would. */
@Tag("fast")
class FstabEntryTest {
    @Test
    void reads_fields_skipping_comments_blank_and_short_lines() {
        List<FstabEntry> entries = FstabEntry.parse("""
                # <file system> <mount point> <type> <options> <dump> <pass>
                UUID=1234-abcd /               ext4    errors=remount-ro 0 1

                \tLABEL=data\t/srv/data\txfs\tdefaults,noatime\t0\t2
                lonely
                /dev/vdb1 /mnt
                """);

        assertThat(entries)
                .containsExactly(
                        new FstabEntry("UUID=1234-abcd", "/", "ext4", List.of("errors=remount-ro")),
                        new FstabEntry("LABEL=data", "/srv/data", "xfs", List.of("defaults", "noatime")),
                        new FstabEntry("/dev/vdb1", "/mnt", "auto", List.of("defaults")));
    }

    @Test
    void decodes_octal_escapes_in_fields() {
        assertThat(FstabEntry.parse("LABEL=my\\040disk /srv/with\\040space ext4 defaults 0 2\n"))
                .containsExactly(new FstabEntry("LABEL=my disk", "/srv/with space", "ext4", List.of("defaults")));
    }
}
