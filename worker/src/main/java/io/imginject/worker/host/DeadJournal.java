package io.imginject.worker.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
    private static final JsonMapper JSON = new JsonMapper();

    static DeadJournal read(Path file) throws IOException {
        Optional<String> mark = Optional.empty();
        Map<Long, HeldResource> held = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode entry;
            try {
                entry = JSON.readTree(line);
            } catch (IOException torn) {
                continue;
            }
            long id = entry.path("id").asLong();
            switch (entry.path("op").asText()) {
                case "owner" -> mark = Optional.of(entry.path("mark").asText());
                case "acquire" -> {
                    Map<String, String> fields = new LinkedHashMap<>();
                    entry.path("fields").properties().forEach(f -> fields.put(f.getKey(), f.getValue().asText()));
                    held.put(id, new HeldResource(HeldResource.Kind.valueOf(entry.path("kind").asText()), fields));
                }
                default -> held.remove(id);
            }
        }
        List<HeldResource> newestFirst = new ArrayList<>(held.values());
        Collections.reverse(newestFirst);
        return new DeadJournal(mark, List.copyOf(newestFirst));
    }

    /** The work directories of the helpers still held; each helper names its directory on its command line. */
    List<String> helperDirectories() {
        return stillHeld.stream().filter(r -> r.kind() == HeldResource.Kind.HELPERS).map(r -> r.field("path")).toList();
    }
}
