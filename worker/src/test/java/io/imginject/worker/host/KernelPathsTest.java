package io.imginject.worker.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Paths as the kernel's listings write them are read back as the paths they are. */
@Tag("fast")
class KernelPathsTest {

    @Test
    void mountinfo_octal_escapes_are_read_back() {
        assertThat(KernelPaths.unescape("/run/a\\040b\\011c\\012d\\134e")).isEqualTo("/run/a b\tc\nd\\e");
    }

    @Test
    void losetup_raw_hex_escapes_are_read_back_so_a_deleted_backing_file_is_recognised() {
        assertThat(KernelPaths.unescape("/images/vm.img\\x20(deleted)")).isEqualTo("/images/vm.img (deleted)");
    }

    @Test
    void a_path_without_escapes_is_left_as_it_is() {
        assertThat(KernelPaths.unescape("/images/plain-name_1.img")).isEqualTo("/images/plain-name_1.img");
    }
}
