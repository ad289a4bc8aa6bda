package io.imginject.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    void the_request_example_and_each_item_example_are_valid_requests() throws Exception {
        List<String> examples = jsonBlocks(Files.readString(Path.of("README.md")));
        Set<ItemName> itemsWithExamples = EnumSet.noneOf(ItemName.class);

        InjectionRequest request = RequestDecoder.decode(examples.get(0).getBytes(StandardCharsets.UTF_8));
        for (String item : examples.stream().filter(e -> e.startsWith("\"")).toList()) {
            InjectionRequest alone =
                    RequestDecoder.decode(("{\"v\": 1, \"image\": {\"path\": \"/i.img\"}, \"inject\": {" + item + "}}")
                            .getBytes(StandardCharsets.UTF_8));
            itemsWithExamples.addAll(alone.inject().requested());
        }

        assertThat(request.inject().requested())
                .as("every item but network, which cannot go with net")
                .isEqualTo(EnumSet.complementOf(EnumSet.of(ItemName.NETWORK)));
        assertThat(itemsWithExamples)
                .containsExactly(ItemName.NETWORK, ItemName.HOSTNAME, ItemName.USERS, ItemName.NOCLOUD);
    }

    private static List<String> jsonBlocks(String readme) {
        List<String> blocks = new ArrayList<>();
        Matcher block = Pattern.compile("(?s)```json\n(.*?)```").matcher(readme);
        while (block.find()) {
            blocks.add(block.group(1).strip());
        }
        return blocks;
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
