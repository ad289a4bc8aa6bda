package io.imginject.worker.oslo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.PlainNames;
import io.imginject.protocol.Problem;
import io.imginject.protocol.RequestDecoder;
import io.imginject.protocol.RequestLimits;
import io.imginject.protocol.RequestRejectedException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns {@code inject_data}'s keyword arguments, as nova passes them, into a v1 request, so both front doors validate
 * alike. nova's shapes: {@code files} is a list of {@code [path, contents]} pairs with plain-text contents;
 * {@code partition} null is the whole disk; null or empty items are left out, as nova skips falsy ones. The
 * problems are reported at once, named by the argument they are in: the first {@value RequestDecoder#MAX_PROBLEMS}
 * and how many there are; an argument is named only when its name is plain (see {@link PlainNames}), and no value
 * is quoted. A request over the worker's {@link RequestLimits} is refused as {@code RequestTooLarge}.
 */
final class InjectDataArgs {
    private static final JsonMapper JSON = new JsonMapper();
    private static final Set<String> ARGUMENTS =
            Set.of("image", "key", "net", "metadata", "admin_password", "files", "partition", "mandatory", "handlers");
    /** v1 problem paths and the argument names they become, most specific first. */
    private static final List<Map.Entry<Pattern, String>> PATHS = List.of(
            Map.entry(Pattern.compile("^\\$\\.image\\.partition"), "partition"),
            Map.entry(Pattern.compile("^\\$\\.image"), "image"),
            Map.entry(Pattern.compile("^\\$\\.inject\\.files\\[(\\d+)\\]\\.path"), "files[$1][0]"),
            Map.entry(Pattern.compile("^\\$\\.inject\\.files\\[(\\d+)\\]\\.content_b64"), "files[$1][1]"),
            Map.entry(Pattern.compile("^\\$\\.inject$"), "args"),
            Map.entry(Pattern.compile("^\\$\\.inject\\."), ""),
            Map.entry(Pattern.compile("^\\$\\."), ""));

    private InjectDataArgs() {}

    static InjectionRequest toRequest(ObjectNode args, RequestLimits limits) throws OsloFailure {
        JsonNode novaFiles = args.path("files");
        if (novaFiles.isArray() && novaFiles.size() > limits.maxFiles()) {
            throw OsloFailure.of(
                    ErrorCode.REQUEST_TOO_LARGE,
                    "inject_data's files has " + novaFiles.size() + " entries; this worker takes at most "
                            + limits.maxFiles() + " (setting max-files)",
                    List.of());
        }
        List<Problem> problems = new ArrayList<>();
        ObjectNode v1 = JSON.createObjectNode();
        v1.put("v", 1);
        int position = 0;
        for (Iterator<String> names = args.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            position++;
            if (!ARGUMENTS.contains(name)) {
                problems.add(
                        PlainNames.isPlain(name)
                                ? new Problem(name, "inject_data takes no argument " + name)
                                : new Problem("args", "argument " + position + " is not one inject_data takes"));
            }
        }
        JsonNode image = args.get("image");
        if (image != null && image.isObject()) {
            v1.set("image", image.deepCopy());
        } else {
            problems.add(new Problem("image", "is required: an object {\"path\": ..., \"format\": ...}"));
            v1.putObject("image").put("path", "/");
        }
        if (args.has("partition")) {
            ((ObjectNode) v1.get("image")).set("partition", args.get("partition"));
        }
        ObjectNode inject = v1.putObject("inject");
        for (String item : List.of("key", "net", "admin_password")) {
            copyIfSet(args, inject, item);
        }
        JsonNode metadata = args.get("metadata");
        if (metadata != null && !metadata.isNull() && !(metadata.isObject() && metadata.isEmpty())) {
            inject.set("metadata", metadata);
        }
        JsonNode files = args.get("files");
        if (files != null && !files.isNull() && !(files.isArray() && files.isEmpty())) {
            inject.set("files", files(files, problems));
        }
        copyIfSet(args, v1, "mandatory");
        copyIfSet(args, v1, "handlers");
        int count = problems.size();
        try {
            // the body's size was checked as it came; converted, nova's plain-text files grow by a third
            InjectionRequest request = RequestDecoder.decode(JSON.writeValueAsBytes(v1), limits.anyBodySize());
            if (problems.isEmpty()) {
                return request;
            }
        } catch (RequestRejectedException e) {
            if (e.code() != ErrorCode.INVALID_REQUEST) {
                throw OsloFailure.of(e.code(), e.getMessage(), List.of());
            }
            e.problems().forEach(p -> problems.add(new Problem(osloPath(p.path()), p.message())));
            count += e.problemCount();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        List<Problem> listed = problems.subList(0, Math.min(problems.size(), RequestDecoder.MAX_PROBLEMS));
        throw OsloFailure.of(
                ErrorCode.INVALID_REQUEST,
                "inject_data's arguments have " + count
                        + (count == 1
                                ? " problem: "
                                : count > listed.size()
                                        ? " problems; the first " + listed.size() + ": "
                                        : " problems: ")
                        + listed,
                List.of());
    }

    /** nova's [path, contents] pairs as v1 file objects. */
    private static ArrayNode files(JsonNode files, List<Problem> problems) {
        ArrayNode converted = JSON.createArrayNode();
        if (!files.isArray()) {
            problems.add(new Problem("files", "must be a list of [path, contents] pairs"));
            return converted;
        }
        for (int i = 0; i < files.size(); i++) {
            JsonNode pair = files.get(i);
            if (!pair.isArray()
                    || pair.size() != 2
                    || !pair.get(0).isTextual()
                    || !pair.get(1).isTextual()) {
                problems.add(new Problem("files[" + i + "]", "must be a [path, contents] pair of strings"));
                continue;
            }
            ObjectNode file = converted.addObject();
            file.put("path", pair.get(0).asText());
            file.put(
                    "content_b64",
                    Base64.getEncoder().encodeToString(pair.get(1).asText().getBytes(StandardCharsets.UTF_8)));
        }
        return converted;
    }

    private static void copyIfSet(ObjectNode from, ObjectNode to, String field) {
        JsonNode value = from.get(field);
        if (value != null && !value.isNull()) {
            to.set(field, value);
        }
    }

    /** A v1 problem path, such as {@code $.inject.files[2].path}, as the argument it came from: {@code files[2][0]}. */
    static String osloPath(String v1Path) {
        for (Map.Entry<Pattern, String> rule : PATHS) {
            Matcher matcher = rule.getKey().matcher(v1Path);
            if (matcher.find()) {
                return matcher.replaceFirst(rule.getValue());
            }
        }
        return v1Path;
    }
}
