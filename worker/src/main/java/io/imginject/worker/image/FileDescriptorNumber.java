package io.imginject.worker.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds the descriptor number of a channel this JVM opened, which the JDK does not expose: the channel's offset is
 * set to a value no other descriptor has, and {@code /proc/self/fdinfo} shows which descriptor has it; a second value
 * confirms it. The values stay below 2 GiB, which every filesystem lets a file offset reach. Positional reads and
 * writes leave the offset alone, so the channel is otherwise unaffected.
 */
final class FileDescriptorNumber {
    private static final Path FD_INFO = Path.of("/proc/self/fdinfo");
    private static final long FIRST_MARKER = 1L << 30;
    private static final AtomicLong MARKERS = new AtomicLong();

    private FileDescriptorNumber() {}

    static OptionalInt of(FileChannel channel) throws IOException {
        try {
            channel.position(nextMarker());
            try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(FD_INFO)) {
                for (Path info : descriptors) {
                    if (showsPosition(info, channel.position())) {
                        channel.position(nextMarker());
                        if (showsPosition(info, channel.position())) {
                            return OptionalInt.of(
                                    Integer.parseInt(info.getFileName().toString()));
                        }
                    }
                }
            }
            return OptionalInt.empty();
        } finally {
            channel.position(0);
        }
    }

    private static long nextMarker() {
        return FIRST_MARKER + Math.floorMod(MARKERS.incrementAndGet(), FIRST_MARKER);
    }

    /**
     * Whether descriptor {@code info} shows {@code position}. Another thread may close that descriptor at any moment:
     * before the open (no such file) or between the open and the read, which fails with a plain {@link IOException}
     * ({@code ENOENT} from the read); either way it is not the channel's, whose descriptor stays open throughout.
     */
    private static boolean showsPosition(Path info, long position) {
        try {
            return Files.readString(info).startsWith("pos:\t" + position + "\n");
        } catch (IOException closedMeanwhile) {
            return false;
        }
    }
}
