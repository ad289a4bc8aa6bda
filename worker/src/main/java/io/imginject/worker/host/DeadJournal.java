package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the journal of a dead worker says: the mark its commands carry, and what it took and did not give back.
 *
 * @param mark the {@link CommandEnvironment} mark of its commands; absent in a journal torn before its first line
 * @param stillHeld what it lists as taken and not given back, newest first
 */
record DeadJournal(Optional<String> mark, List<HeldResource> stillHeld) {

    /**
     * Reads {@code file}, passing over torn lines.
     *
     * @throws UnreadableJournalException if it has a line this worker does not understand, as one from a newer
     *     version with a kind of resource this one cannot release
     */
    static DeadJournal read(Path file) throws IOException {
        Optional<String> mark = Optional.empty();
        Map<Long, HeldResource> held = new LinkedHashMap<>();
        for (String text : Files.readAllLines(file)) {
            Optional<JournalLine> line = text.isBlank() ? Optional.empty() : JournalLine.parse(text);
            if (line.isEmpty()) {
                continue;
            }
            if (line.get() instanceof JournalLine.Owner owner) {
                mark = Optional.of(owner.mark());
            } else if (line.get() instanceof JournalLine.Acquired acquired) {
                held.put(acquired.id(), acquired.resource());
            } else if (line.get() instanceof JournalLine.Released released) {
                held.remove(released.id());
            }
        }
        List<HeldResource> newestFirst = new ArrayList<>(held.values());
        Collections.reverse(newestFirst);
        return new DeadJournal(mark, List.copyOf(newestFirst));
    }

    /** Whether {@code process} is a helper that keeps up something still held, to be stopped by releasing it. */
    boolean keepsUp(ProcessHandle process) {
        return stillHeld.stream().anyMatch(resource -> resource.isKeptUpBy(process));
    }
}
