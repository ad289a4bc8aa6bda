package io.imginject.worker.host;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Something on the host a job holds and must give back: a mount, a loop device, a helper process, a FUSE export,
 * a kernel nbd connection, a work directory. Recorded in the {@link ResourceJournal} so that a worker that dies
 * holding it does not leave it behind.
 *
 * @param kind what it is
 * @param fields what identifies it: path, device, backing file, pid and start time
 */
public record HeldResource(Kind kind, Map<String, String> fields) {

    /** The kinds of resources, each released its own way. */
    public enum Kind { DIRECTORY, LOOP, MOUNT, HELPERS, FUSE, NBD }

    public HeldResource {
        fields = Map.copyOf(fields);
    }

    public static HeldResource directory(Path path) {
        return new HeldResource(Kind.DIRECTORY, Map.of("path", path.toString()));
    }

    /**
     * A loop device on a region of a file, recorded before it is attached (losetup names the device only once it
     * is), so it is found again by file and offset.
     */
    public static HeldResource loop(Path backingFile, long offset, long size) {
        return new HeldResource(Kind.LOOP, Map.of("file", backingFile.toString(), "offset", Long.toString(offset), "size", Long.toString(size)));
    }

    public static HeldResource mount(Path mountPoint) {
        return new HeldResource(Kind.MOUNT, Map.of("path", mountPoint.toString()));
    }

    /**
     * The helper processes (qemu-nbd, nbdfuse) of one job, recorded before they start: every one of them names the
     * job's private work directory on its command line, which is how they are found again.
     */
    public static HeldResource helpers(Path workDirectory) {
        return new HeldResource(Kind.HELPERS, Map.of("path", workDirectory.toString()));
    }

    public static HeldResource fuse(Path mountPoint) {
        return new HeldResource(Kind.FUSE, Map.of("path", mountPoint.toString()));
    }

    public static HeldResource nbd(Path device) {
        return new HeldResource(Kind.NBD, Map.of("device", device.toString()));
    }

    public String field(String name) {
        return fields.get(name);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(Locale.ROOT) + " " + fields;
    }
}
