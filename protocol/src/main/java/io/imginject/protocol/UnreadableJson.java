package io.imginject.protocol;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;

/**
 * Says why a body is not JSON without quoting it: the parser's own message holds the offending token, which may
 * be a password someone forgot to quote. Only the kind of error and where it is are told.
 */
public final class UnreadableJson {
    private UnreadableJson() {}

    /** Why {@code e} was thrown, and where, in words that hold nothing of the body. */
    public static String why(JsonProcessingException e) {
        String original = String.valueOf(e.getOriginalMessage());
        String kind;
        if (e instanceof JsonEOFException) {
            kind = "it ends before its JSON does";
        } else if (e instanceof StreamConstraintsException) {
            kind = "it is nested too deep, or a number or string in it is too long, for the JSON parser";
        } else if (original.startsWith("Duplicate field")) {
            kind = "an object in it has the same field twice";
        } else if (original.startsWith("Invalid UTF-8") || original.contains("Invalid UTF-8")) {
            kind = "it is not valid UTF-8";
        } else {
            kind = "it is not well-formed JSON";
        }
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1
                ? kind
                : kind + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
