package io.imginject.worker.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host resources this worker process holds, written as they are taken and given back, one {@link JournalLine}
 * each, to a file of its own under the run directory. The first line names the {@link CommandEnvironment} mark of
 * the worker's commands. The process holds an OS lock on its file while it lives; the kernel drops the lock when
 * the process dies, however it dies, which is how {@link CrashRecovery} tells a dead worker's
 * journal from a living sibling's. A clean stop deletes the file. Writes go to the page cache, which survives the
 * process (on /run, a tmpfs, there is nothing else); a host crash takes the mounts and devices with it anyway.
 */
public final class ResourceJournal implements AutoCloseable {
    static final String SUFFIX = ".journal";
    private static final Logger log = LoggerFactory.getLogger(ResourceJournal.class);

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final AtomicLong ids = new AtomicLong();
    private final Set<Long> held = ConcurrentHashMap.newKeySet();

    private ResourceJournal(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** A new journal for this process in {@code directory}. */
    public static ResourceJournal open(Path directory) throws IOException {
        Files.createDirectories(directory);
        String name = ProcessHandle.current().pid() + "-" + UUID.randomUUID();
        Path unlocked = directory.resolve(name + ".new");
        FileChannel channel = FileChannel.open(
                unlocked, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new IOException("could not lock the new journal " + unlocked);
        }
        // Only a locked journal takes the name recovery looks for, so no one takes a journal being born for a dead one.
        Path file = Files.move(unlocked, directory.resolve(name + SUFFIX));
        HeldChannels.hold(file, channel);
        ResourceJournal journal = new ResourceJournal(file, channel, lock);
        journal.write(new JournalLine.Owner(CommandEnvironment.markOfThisJvm()));
        return journal;
    }

    /** A taken resource's line in the journal; {@link #released()} records it given back. */
    public final class Entry {
        private final long id;

        private Entry(long id) {
            this.id = id;
        }

        public void released() {
            held.remove(id);
            write(new JournalLine.Released(id));
        }
    }

    /** Records that {@code resource} is now held. */
    public Entry acquired(HeldResource resource) {
        long id = ids.incrementAndGet();
        held.add(id);
        write(new JournalLine.Acquired(id, resource));
        return new Entry(id);
    }

    private synchronized void write(JournalLine line) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap((line.text() + "\n").getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            log.error(
                    "could not write the resource journal {}; a crash now could leave host resources behind", file, e);
        }
    }

    /**
     * Stops journaling. When everything was given back the journal goes; when something could not be (a failed
     * unmount, say), the journal stays, and the next worker to start releases what it lists.
     */
    @Override
    public void close() throws IOException {
        lock.release();
        HeldChannels.release(file);
        channel.close();
        if (held.isEmpty()) {
            Files.deleteIfExists(file);
        } else {
            log.error(
                    "stopping while still holding {} host resources; {} keeps them for the next worker to release",
                    held.size(),
                    file);
        }
    }
}
