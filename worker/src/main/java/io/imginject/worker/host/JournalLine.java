package io.imginject.worker.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One line of a {@link ResourceJournal}, a JSON object: {@code {"op":"owner","mark":…}} first, then
 * {@code {"op":"acquire","id":…,"kind":…,"fields":{…}}} before a resource is taken and
 * {@code {"op":"release","id":…}} once it is given back.
 */
sealed interface JournalLine {
    JsonMapper JSON = new JsonMapper();

    /** The {@link CommandEnvironment} mark of the journaling worker's commands. */
    record Owner(String mark) implements JournalLine {
        @Override
        public String text() {
            return write(line("owner").put("mark", mark));
        }
    }

    record Acquired(long id, HeldResource resource) implements JournalLine {
        @Override
        public String text() {
            ObjectNode line =
                    line("acquire").put("id", id).put("kind", resource.kind().name());
            ObjectNode fields = line.putObject("fields");
            resource.fields().values().forEach(fields::put);
            return write(line);
        }
    }

    record Released(long id) implements JournalLine {
        @Override
        public String text() {
            return write(line("release").put("id", id));
        }
    }

    /** The line as written, without its newline. */
    String text();

    /**
     * Reads {@code text}; empty when it is not a whole JSON object, as the last line of a journal whose worker died
     * writing it may be.
     */
    static Optional<JournalLine> parse(String text) throws UnreadableJournalException {
        JsonNode line;
        try {
            line = JSON.readTree(text);
        } catch (JsonProcessingException torn) {
            return Optional.empty();
        }
        if (line == null || !line.isObject()) {
            return Optional.empty();
        }
        long id = line.path("id").asLong();
        return Optional.of(
                switch (line.path("op").asText()) {
                    case "owner" -> new Owner(line.path("mark").asText());
                    case "acquire" -> {
                        Map<String, String> fields = new LinkedHashMap<>();
                        line.path("fields")
                                .properties()
                                .forEach(
                                        f -> fields.put(f.getKey(), f.getValue().asText()));
                        yield new Acquired(
                                id,
                                HeldResource.Kind.named(line.path("kind").asText())
                                        .read(JournalFields.read(fields)));
                    }
                    case "release" -> new Released(id);
                    default ->
                        throw new UnreadableJournalException("no journal operation is called " + line.path("op"));
                });
    }

    private static ObjectNode line(String op) {
        ObjectNode line = JSON.createObjectNode();
        line.put("op", op);
        return line;
    }

    private static String write(ObjectNode line) {
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
