package io.imginject.worker.host;

import java.io.IOException;

/**
 * Something on the host a job holds and must give back. Each kind journals itself ({@link #kind} and
 * {@link #fields}, read back by {@link Kind#read}) and releases itself the one way both a job and crash recovery
 * use. Releasing what is already gone does nothing, so a release may run again, and may run for what was only
 * half taken. A new kind is a record permitted here, and a constant of {@link Kind} that names it in the journal.
 */
public sealed interface HeldResource
        permits WorkDirectory, LoopDevice, Mount, HelperProcesses, FuseExport, NbdConnection, DeviceGrant {

    /** The kinds of held resources, by the name the journal gives them. */
    @SuppressWarnings("ImmutableEnumChecker") // each Reader is a method reference to a static factory: stateless
    enum Kind {
        DIRECTORY(WorkDirectory.class, WorkDirectory::from),
        LOOP(LoopDevice.class, LoopDevice::from),
        MOUNT(Mount.class, Mount::from),
        HELPERS(HelperProcesses.class, HelperProcesses::from),
        FUSE(FuseExport.class, FuseExport::from),
        NBD(NbdConnection.class, NbdConnection::from),
        DEVICE_GRANT(DeviceGrant.class, DeviceGrant::from);

        private final Class<? extends HeldResource> type;
        private final Reader reader;

        Kind(Class<? extends HeldResource> type, Reader reader) {
            this.type = type;
            this.reader = reader;
        }

        /** The resource of this kind that {@code fields} describe. */
        public HeldResource read(JournalFields fields) throws UnreadableJournalException {
            return reader.read(fields);
        }

        /** The kind the journal calls {@code name}. */
        static Kind named(String name) throws UnreadableJournalException {
            for (Kind kind : values()) {
                if (kind.name().equals(name)) {
                    return kind;
                }
            }
            throw new UnreadableJournalException("no kind of held resource is called " + name);
        }

        @FunctionalInterface
        private interface Reader {
            HeldResource read(JournalFields fields) throws UnreadableJournalException;
        }
    }

    default Kind kind() {
        for (Kind kind : Kind.values()) {
            if (kind.type == getClass()) {
                return kind;
            }
        }
        throw new IllegalStateException(getClass() + " has no kind");
    }

    /** What identifies it in the journal. */
    JournalFields fields();

    /** Gives it back; does nothing when it is gone already. */
    void release(ReleaseTools host) throws IOException, InterruptedException;

    /**
     * Whether {@code process} is a helper that keeps this resource up. Recovery does not wait for such a process to
     * end, as it does for a dead worker's other commands: releasing the resource stops it.
     */
    default boolean isKeptUpBy(ProcessHandle process) {
        return false;
    }
}
