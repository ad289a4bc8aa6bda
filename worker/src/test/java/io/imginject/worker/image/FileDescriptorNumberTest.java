package io.imginject.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding a channel's descriptor number while other threads open and close descriptors, as job threads do. */
@Tag("fast")
class FileDescriptorNumberTest {
    @TempDir
    Path temp;

    @Test
    void is_found_while_other_threads_close_descriptors_it_is_reading_about() throws Exception {
        Path image = Files.write(temp.resolve("image"), new byte[4096]);
        Path other = Files.write(temp.resolve("other"), new byte[1]);
        AtomicBoolean churning = new AtomicBoolean(true);
        Thread churn = new Thread(() -> {
            while (churning.get()) {
                try (FileChannel opened = FileChannel.open(other)) {
                    opened.size();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        churn.start();
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int i = 0; i < 3000; i++) {
                OptionalInt number = FileDescriptorNumber.of(channel);

                assertThat(number).isPresent();
                assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + number.getAsInt())))
                        .isEqualTo(image.toRealPath());
            }
        } finally {
            churning.set(false);
            churn.join();
        }
    }
}
