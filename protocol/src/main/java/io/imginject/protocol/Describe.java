package io.imginject.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** What kind of JSON value a node is, for problems that must not quote the value itself. */
final class Describe {
    private Describe() {}

    static String of(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "true or false";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
    }
}
