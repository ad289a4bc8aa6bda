package io.imginject.worker.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The files this JVM holds record locks on, with the channel holding them. Linux record locks belong to the process
 * and inode, and closing any file descriptor of the file drops them all, so code that merely reads such a file must
 * read through the holding channel rather than open and close one of its own (the JDK's own advice: one channel per
 * locked file).
 */
public final class HeldChannels {
    private static final Map<Path, FileChannel> HELD = new ConcurrentHashMap<>();

    private HeldChannels() {}

    /** Reading through a channel. */
    @FunctionalInterface
    public interface Read<T> {
        T from(FileChannel channel) throws IOException;
    }

    /** Registers {@code channel} as the one holding locks on {@code file}. */
    public static void hold(Path file, FileChannel channel) {
        HELD.put(file.toAbsolutePath().normalize(), channel);
    }

    public static void release(Path file) {
        HELD.remove(file.toAbsolutePath().normalize());
    }

    /** Whether this JVM holds locks on {@code file}. */
    public static boolean isHeld(Path file) {
        return HELD.containsKey(file.toAbsolutePath().normalize());
    }

    /** Reads {@code file} through the channel holding locks on it, or through a channel of its own if none does. */
    public static <T> T read(Path file, Read<T> read) throws IOException {
        FileChannel held = HELD.get(file.toAbsolutePath().normalize());
        if (held != null) {
            return read.from(held);
        }
        try (FileChannel own = FileChannel.open(file, StandardOpenOption.READ)) {
            return read.from(own);
        }
    }
}
