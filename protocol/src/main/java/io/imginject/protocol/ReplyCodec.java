package io.imginject.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Reads and writes {@link InjectionReply} as v1 JSON. */
public final class ReplyCodec {
    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ReplyCodec() {}

    public static byte[] encode(InjectionReply reply) {
        try {
            return JSON.writeValueAsBytes(reply);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The reply as indented JSON, for people. */
    public static String toPrettyJson(InjectionReply reply) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(reply);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static InjectionReply decode(byte[] body) throws IOException {
        return JSON.readValue(body, InjectionReply.class);
    }
}
