package io.imginject.worker.job;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A guest held in memory, a stand-in of the project's own {@link GuestFs}: the root, directories and regular files,
 * no symlinks. Writes below a directory it was told to refuse fail with that directory's error code.
 */
final class MemoryGuest implements GuestFs {

    @SuppressWarnings("ArrayRecordComponent") // a file's bytes, never compared or hashed as a record
    private record File(byte[] content, int mode, long uid, long gid) {}

    private final Set<GuestPath> directories = new HashSet<>();
    private final Map<GuestPath, File> files = new HashMap<>();
    private final Map<GuestPath, ErrorCode> refused = new HashMap<>();

    /** Writes below {@code directory} fail from now on with {@code code}. */
    MemoryGuest refusingWritesBelow(String directory, ErrorCode code) {
        refused.put(GuestPath.of(directory), code);
        return this;
    }

    /** The content of the file at {@code path}, if there is one. */
    synchronized Optional<String> file(String path) {
        return Optional.ofNullable(files.get(GuestPath.of(path)))
                .map(file -> new String(file.content(), StandardCharsets.UTF_8));
    }

    @Override
    public synchronized Optional<FileStat> stat(GuestPath path) {
        if (directories.contains(path)) {
            return Optional.of(new FileStat(FileStat.Type.DIRECTORY, 0755, 0, 0, 0, Optional.empty()));
        }
        return Optional.ofNullable(files.get(path))
                .map(file -> new FileStat(
                        FileStat.Type.REGULAR,
                        file.mode(),
                        file.uid(),
                        file.gid(),
                        file.content().length,
                        Optional.empty()));
    }

    @Override
    public synchronized Optional<byte[]> read(GuestPath path, int maxBytes) {
        return Optional.ofNullable(files.get(path))
                .map(file -> Arrays.copyOf(file.content(), Math.min(maxBytes, file.content().length)));
    }

    @Override
    public synchronized List<String> list(GuestPath path, int maxEntries) {
        return files.keySet().stream()
                .filter(file -> file.parent().equals(Optional.of(path)))
                .map(file -> file.toString().substring(file.toString().lastIndexOf('/') + 1))
                .sorted()
                .toList();
    }

    @Override
    public synchronized void mkdirs(GuestPath path, int mode, long uid, long gid) {
        path.parent().ifPresent(parent -> mkdirs(parent, mode, uid, gid));
        directories.add(path);
    }

    @Override
    public synchronized void writeFile(GuestPath path, byte[] content, int mode, long uid, long gid) {
        for (Optional<GuestPath> up = path.parent();
                up.isPresent();
                up = up.get().parent()) {
            ErrorCode code = refused.get(up.get());
            if (code != null) {
                throw new InjectException(code, "cannot write " + path + ": refused by the test");
            }
        }
        files.put(path, new File(content.clone(), mode, uid, gid));
    }

    @Override
    public synchronized void setMode(GuestPath path, int mode) {
        File file = files.get(path);
        files.put(path, new File(file.content(), mode, file.uid(), file.gid()));
    }

    @Override
    public synchronized void setOwner(GuestPath path, long uid, long gid) {
        File file = files.get(path);
        files.put(path, new File(file.content(), file.mode(), uid, gid));
    }
}
