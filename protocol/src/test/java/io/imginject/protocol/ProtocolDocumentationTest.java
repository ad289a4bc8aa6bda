package io.imginject.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The protocol README stays true to the code. */
@Tag("fast")
class ProtocolDocumentationTest {
    @Test
    void documents_every_error_code_with_its_retryability() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(readme)
                    .as(code.wireName())
                    .contains("| `" + code.wireName() + "` | " + (code.isTransient() ? "yes" : "no") + " |");
        }
    }

    @Test
    void documents_every_format_and_item() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (ImageFormat format : ImageFormat.values()) {
            assertThat(readme).contains("`" + format.qemuName() + "`");
        }
        for (ItemName item : ItemName.values()) {
            assertThat(readme).contains("`" + item.wireName() + "`");
        }
    }

    @Test
    void documents_every_filesystem_driver_an_attempt_names() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains("`filesystem`");
        for (FilesystemDriver driver : FilesystemDriver.values()) {
            assertThat(readme).as(driver.wireName()).contains("`" + driver.wireName() + "`");
        }
    }
}
