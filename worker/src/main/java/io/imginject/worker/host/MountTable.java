package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What is mounted where, as this process's {@code /proc/self/mountinfo} says at the moment it is read. */
final class MountTable {
    private record Entry(Path mountPoint, String type, String source) {}

    private final List<Entry> entries;

    private MountTable(List<Entry> entries) {
        this.entries = entries;
    }

    static MountTable read() throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (fields.length > 4) {
                String type = separator > 4 && fields.length > separator + 1 ? fields[separator + 1] : "";
                String source = separator > 4 && fields.length > separator + 2
                        ? KernelPaths.unescape(fields[separator + 2])
                        : "";
                entries.add(new Entry(Path.of(KernelPaths.unescape(fields[4])), type, source));
            }
        }
        return new MountTable(entries);
    }

    boolean isMountPoint(Path path) {
        Path shown = KernelPaths.asKernelShows(path);
        return entries.stream().anyMatch(e -> e.mountPoint().equals(shown));
    }

    /** Whether the topmost mount on {@code path} is a FUSE filesystem whose server named {@code source} as its source. */
    boolean isFuseMountOf(Path path, String source) {
        Path shown = KernelPaths.asKernelShows(path);
        List<Entry> on =
                entries.stream().filter(e -> e.mountPoint().equals(shown)).toList();
        if (on.isEmpty()) {
            return false;
        }
        Entry top = on.get(on.size() - 1);
        return (top.type().equals("fuse") || top.type().startsWith("fuse."))
                && top.source().equals(source);
    }

    /** Whether something is mounted on {@code directory} or anywhere below it. */
    boolean holdsMountAtOrBelow(Path directory) {
        Path shown = KernelPaths.asKernelShows(directory);
        return entries.stream().anyMatch(e -> e.mountPoint().startsWith(shown));
    }

    /** Where {@code device} is mounted. */
    List<Path> mountPointsOf(String device) {
        return entries.stream()
                .filter(e -> e.source().equals(device))
                .map(Entry::mountPoint)
                .toList();
    }
}
