package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A loop device on a region of a file. It is journaled before it is attached (losetup names the device only once
 * it is), so it is known by file, offset and size. Released by unmounting whatever is still mounted from it and
 * detaching it.
 */
public record LoopDevice(Path file, long offset, long size) implements HeldResource {

    static LoopDevice from(JournalFields fields) throws UnreadableJournalException {
        return new LoopDevice(fields.path("file"), fields.number("offset"), fields.number("size"));
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("file", file).and("offset", offset).and("size", size);
    }

    @Override
    public void release(ReleaseTools host) throws IOException, InterruptedException {
        for (String device : host.loops().attachedTo(file, offset, size)) {
            for (Path mountPoint : MountTable.read().mountPointsOf(device)) {
                host.mounts().unmount(mountPoint);
            }
            host.loops().detach(device);
        }
    }
}
