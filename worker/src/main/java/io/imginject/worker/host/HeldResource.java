package io.imginject.worker.host;

import java.nio.file.Path;
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
    public enum Kind { DIRECTORY, LOOP, MOUNT, PROCESS, FUSE, NBD }

    public HeldResource {
        fields = Map.copyOf(fields);
    }

    public static HeldResource directory(Path path) {
        return new HeldResource(Kind.DIRECTORY, Map.of("path", path.toString()));
    }

    public static HeldResource loop(String device, Path backingFile) {
        return new HeldResource(Kind.LOOP, Map.of("device", device, "file", backingFile.toString()));
    }

    public static HeldResource mount(Path mountPoint) {
        return new HeldResource(Kind.MOUNT, Map.of("path", mountPoint.toString()));
    }

    /** A child process, identified by pid and start time so that a reused pid is never taken for it. */
    public static HeldResource process(String name, ProcessHandle process) {
        return new HeldResource(Kind.PROCESS, Map.of("name", name, "pid", Long.toString(process.pid()),
                "started", process.info().startInstant().map(Object::toString).orElse("")));
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
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + fields;
    }
}
