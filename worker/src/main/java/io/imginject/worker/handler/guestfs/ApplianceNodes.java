package io.imginject.worker.handler.guestfs;

import com.redhat.et.libguestfs.GuestFS;
import com.redhat.et.libguestfs.LibGuestFSException;
import com.redhat.et.libguestfs.StatNS;
import io.imginject.worker.guest.FileStat;
import io.imginject.worker.guest.GuestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The guest filesystem as the libguestfs appliance sees it. Paths resolve inside the appliance's kernel, so they
 * cannot reach the host whatever the image holds; reads go through {@code download} to a private host file
 * because the Java binding's {@code read_file} returns text.
 */
final class ApplianceNodes implements GuestNodes {
    private static final long S_IFMT = 0170000;
    private static final long S_IFREG = 0100000;
    private static final long S_IFDIR = 0040000;
    private static final long S_IFLNK = 0120000;

    private final GuestFS appliance;
    private final Path downloads;

    /** @param downloads a host directory only root can enter, for reads in flight */
    ApplianceNodes(GuestFS appliance, Path downloads) {
        this.appliance = appliance;
        this.downloads = downloads;
    }

    @Override
    public Optional<FileStat> lstat(String path) throws IOException {
        StatNS stat;
        try {
            stat = appliance.lstatns(path);
        } catch (LibGuestFSException e) {
            if (String.valueOf(e.getMessage()).contains("No such file or directory")) {
                return Optional.empty();
            }
            throw failure(e);
        }
        FileStat.Type type = (stat.st_mode & S_IFMT) == S_IFREG
                ? FileStat.Type.REGULAR
                : (stat.st_mode & S_IFMT) == S_IFDIR
                        ? FileStat.Type.DIRECTORY
                        : (stat.st_mode & S_IFMT) == S_IFLNK ? FileStat.Type.SYMLINK : FileStat.Type.OTHER;
        Optional<String> target = Optional.empty();
        if (type == FileStat.Type.SYMLINK) {
            try {
                target = Optional.of(appliance.readlink(path));
            } catch (LibGuestFSException e) {
                throw failure(e);
            }
        }
        return Optional.of(
                new FileStat(type, (int) (stat.st_mode & 07777), stat.st_uid, stat.st_gid, stat.st_size, target));
    }

    @Override
    public List<String> list(String path, int maxEntries) throws IOException {
        String[] names;
        try {
            names = appliance.ls(path);
        } catch (LibGuestFSException e) {
            throw failure(e);
        }
        if (names.length > maxEntries) {
            throw new IOException("it has more than " + maxEntries + " entries");
        }
        return List.of(names);
    }

    @Override
    public byte[] readFile(String path, int maxBytes) throws IOException {
        Path local = Files.createTempFile(downloads, "read-", ".tmp");
        try {
            appliance.download(path, local.toString());
            if (Files.size(local) > maxBytes) {
                throw new IOException("the file grew past " + maxBytes + " bytes while being read");
            }
            return Files.readAllBytes(local);
        } catch (LibGuestFSException e) {
            throw failure(e);
        } finally {
            Files.deleteIfExists(local);
        }
    }

    @Override
    public void mkdir(String path) throws IOException {
        call(() -> appliance.mkdir(path));
    }

    @Override
    public void createFile(String path, byte[] content) throws IOException {
        call(() -> {
            appliance.write(path, content);
            appliance.chmod(0600, path);
        });
    }

    @Override
    public void chown(String path, long uid, long gid) throws IOException {
        call(() -> appliance.lchown((int) uid, (int) gid, path));
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        call(() -> appliance.chmod(mode, path));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        call(() -> appliance.rename(from, to));
    }

    @Override
    public void deleteIfExists(String path) throws IOException {
        call(() -> appliance.rm_f(path));
    }

    /** One call into the appliance. */
    @FunctionalInterface
    private interface ApplianceCall {
        void run() throws LibGuestFSException;
    }

    private static void call(ApplianceCall call) throws IOException {
        try {
            call.run();
        } catch (LibGuestFSException e) {
            throw failure(e);
        }
    }

    private static IOException failure(LibGuestFSException e) {
        return new IOException(e.getMessage(), e);
    }
}
