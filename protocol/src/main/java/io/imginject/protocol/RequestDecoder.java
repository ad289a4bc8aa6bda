package io.imginject.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a message body into an {@link InjectionRequest}, or rejects it with the problems found, each at its JSON
 * path: the first {@value #MAX_PROBLEMS}, and how many there are. A rejection never quotes the body: not the
 * parser's message (it holds the offending token), not a value of the wrong type or form; only plain field names
 * (see {@link PlainNames}) and the limits it broke.
 */
public final class RequestDecoder {
    static final int PROTOCOL_VERSION = 1;
    /** The most problems a rejection lists; it says how many there are in all. */
    public static final int MAX_PROBLEMS = 50;
    /** The longest image path, in UTF-8 bytes. */
    public static final int MAX_IMAGE_PATH_BYTES = 4096;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Set<String> TOP_FIELDS = Set.of("v", "image", "inject", "mandatory", "handlers");
    private static final Set<String> IMAGE_FIELDS = Set.of("path", "format", "partition");
    private static final Set<String> INJECT_FIELDS =
            Set.of("key", "admin_password", "files", "metadata", "net", "network", "hostname", "users", "nocloud");
    private static final Set<String> FILE_FIELDS = Set.of("path", "content_b64", "mode", "uid", "gid");
    private static final Pattern WHITESPACE = Pattern.compile("\\s");
    private static final long MAX_ID = 4_294_967_294L;
    private static final int MAX_PASSWORD_CHARS = 1024;
    /** The most entries in {@code inject.users}, and keys per user. */
    static final int MAX_USERS = 16;

    static final int MAX_USER_KEYS = 16;
    /** The longest NoCloud user-data taken, in characters. */
    static final int MAX_USER_DATA_CHARS = 256 * 1024;

    private static final Set<String> NOCLOUD_FIELDS = Set.of("instance_id", "user_data");
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
    private static final Set<String> USER_FIELDS = Set.of("name", "keys", "password");
    private static final Pattern USER_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    private static final Map<String, ItemName> PATHS_OWNED_BY_ITEMS = Map.of(
            "/root/.ssh/authorized_keys", ItemName.KEY,
            "/etc/shadow", ItemName.ADMIN_PASSWORD,
            "/meta.js", ItemName.METADATA,
            "/etc/network/interfaces", ItemName.NET,
            "/etc/hostname", ItemName.HOSTNAME,
            "/etc/hosts", ItemName.HOSTNAME);

    private final List<Problem> problems = new ArrayList<>();
    private final RequestLimits limits;
    private int problemCount;

    private RequestDecoder(RequestLimits limits) {
        this.limits = limits;
    }

    /** Decodes and validates a v1 request body within the {@link RequestLimits#DEFAULT default limits}. */
    public static InjectionRequest decode(byte[] body) throws RequestRejectedException {
        return decode(body, RequestLimits.DEFAULT);
    }

    /**
     * Decodes and validates a v1 request body.
     *
     * @throws RequestRejectedException {@link ErrorCode#REQUEST_TOO_LARGE} when it is over one of {@code limits},
     *     {@link ErrorCode#MALFORMED_MESSAGE} when the body is not a JSON object, {@link ErrorCode#UNSUPPORTED_VERSION}
     *     for another {@code v}, {@link ErrorCode#INVALID_REQUEST} with its problems otherwise
     */
    public static InjectionRequest decode(byte[] body, RequestLimits limits) throws RequestRejectedException {
        RequestRejectedException tooLarge = limits.bodyTooLarge(body.length);
        if (tooLarge != null) {
            throw tooLarge;
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new RequestRejectedException(
                    ErrorCode.MALFORMED_MESSAGE, "the body is not valid JSON: " + UnreadableJson.why(e));
        } catch (IOException e) {
            throw new RequestRejectedException(
                    ErrorCode.MALFORMED_MESSAGE, "the body could not be read as JSON: it is not valid UTF-8");
        }
        if (root == null || root.isMissingNode()) {
            throw new RequestRejectedException(ErrorCode.MALFORMED_MESSAGE, "the body is empty");
        }
        if (!root.isObject()) {
            throw new RequestRejectedException(
                    ErrorCode.MALFORMED_MESSAGE, "the body is JSON but not an object (it is " + describe(root) + ")");
        }
        JsonNode version = root.get("v");
        if (version != null && version.canConvertToExactIntegral() && version.asLong() != PROTOCOL_VERSION) {
            String which = Math.abs(version.asLong()) < 1000
                    ? "protocol version " + version.asLong()
                    : "this protocol version";
            throw new RequestRejectedException(
                    ErrorCode.UNSUPPORTED_VERSION,
                    which + " is not supported; this worker speaks v" + PROTOCOL_VERSION);
        }
        JsonNode files = root.path("inject").path("files");
        if (files.isArray() && files.size() > limits.maxFiles()) {
            throw RequestLimits.tooLarge("the request has " + files.size() + " files; this worker takes at most "
                    + limits.maxFiles() + " (setting max-files)");
        }
        return new RequestDecoder(limits).request(root);
    }

    private InjectionRequest request(JsonNode root) throws RequestRejectedException {
        unknownFields(root, "$", TOP_FIELDS);
        JsonNode version = root.get("v");
        if (version == null) {
            problem("$.v", "is required; set it to " + PROTOCOL_VERSION);
        } else if (!version.canConvertToExactIntegral()) {
            problem("$.v", "must be the number " + PROTOCOL_VERSION + ", not " + describe(version));
        }
        ImageRef image = image(required(root, "image", "$.image"));
        Injections inject = inject(required(root, "inject", "$.inject"));
        Set<ItemName> mandatory = mandatory(root.get("mandatory"));
        List<HandlerName> handlers = handlers(root.get("handlers"));
        if (inject != null) {
            long fileBytes = inject.files().stream()
                    .mapToLong(file -> file.content().length())
                    .sum();
            if (fileBytes > limits.maxFileBytesTotal()) {
                throw RequestLimits.tooLarge("the files add up to " + fileBytes + " bytes; this worker takes at most "
                        + limits.maxFileBytesTotal() + " (setting max-file-bytes-total)");
            }
        }
        if (problemCount > 0) {
            throw new RequestRejectedException(
                    ErrorCode.INVALID_REQUEST, summary(problemCount, problems), problems, problemCount);
        }
        return new InjectionRequest(image, inject, mandatory, handlers);
    }

    /** The message of a rejection with {@code count} problems, of which {@code listed} are the first. */
    public static String summary(int count, List<Problem> listed) {
        if (count == 1) {
            return "the request has a problem: " + listed.get(0);
        }
        return "the request has " + count + " problems"
                + (count > listed.size() ? "; the first " + listed.size() + ": " : ": ") + listed;
    }

    private ImageRef image(JsonNode node) {
        if (!isObject(node, "$.image")) {
            return null;
        }
        unknownFields(node, "$.image", IMAGE_FIELDS);
        String path = string(required(node, "path", "$.image.path"), "$.image.path");
        if (path != null && (!path.startsWith("/") || path.indexOf('\0') >= 0)) {
            problem("$.image.path", "must be an absolute path on the worker's host");
        } else if (path != null && path.getBytes(StandardCharsets.UTF_8).length > MAX_IMAGE_PATH_BYTES) {
            problem("$.image.path", "is longer than " + MAX_IMAGE_PATH_BYTES + " bytes");
        }
        Optional<ImageFormat> format = Optional.empty();
        JsonNode formatNode = node.get("format");
        if (formatNode != null && !formatNode.isNull()) {
            String name = string(formatNode, "$.image.format");
            if (name != null) {
                format = ImageFormat.fromQemuName(name);
                if (format.isEmpty()) {
                    problem(
                            "$.image.format",
                            "is not a known format; use one of " + ImageFormat.allNames()
                                    + ", or leave it out to have the worker detect it");
                }
            }
        }
        PartitionSelector partition = new PartitionSelector.FindRoot();
        JsonNode partitionNode = node.get("partition");
        if (partitionNode != null && !partitionNode.isNull()) {
            if (partitionNode.canConvertToExactIntegral()
                    && partitionNode.asLong() >= -1
                    && partitionNode.asLong() <= Integer.MAX_VALUE) {
                partition = PartitionSelector.fromWireValue(partitionNode.asInt());
            } else {
                problem(
                        "$.image.partition",
                        "must be null or 0 (whole disk), a partition number from 1, or -1 (find the "
                                + "root filesystem), not " + describe(partitionNode));
            }
        } else if (partitionNode != null) {
            partition = new PartitionSelector.WholeDisk();
        }
        return new ImageRef(path, format, partition);
    }

    private Injections inject(JsonNode node) {
        if (!isObject(node, "$.inject")) {
            return null;
        }
        unknownFields(node, "$.inject", INJECT_FIELDS);
        Injections inject = Injections.none();
        JsonNode key = node.get("key");
        if (key != null && !key.isNull()) {
            String text = string(key, "$.inject.key");
            if (text != null) {
                try {
                    inject = inject.withKey(SshPublicKey.parse(text));
                } catch (IllegalArgumentException e) {
                    problem("$.inject.key", e.getMessage());
                }
            }
        }
        JsonNode password = node.get("admin_password");
        if (password != null && !password.isNull()) {
            String text = string(password, "$.inject.admin_password");
            if (text != null) {
                if (text.isEmpty() || text.length() > MAX_PASSWORD_CHARS || text.indexOf('\0') >= 0) {
                    problem(
                            "$.inject.admin_password",
                            "must be 1 to " + MAX_PASSWORD_CHARS + " characters with no NUL");
                } else {
                    inject = inject.withAdminPassword(Secret.of(text));
                }
            }
        }
        JsonNode files = node.get("files");
        if (files != null && !files.isNull()) {
            inject = inject.withFiles(files(files));
        }
        JsonNode metadata = node.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            inject = inject.withMetadata(metadata(metadata));
        }
        JsonNode net = node.get("net");
        if (net != null && !net.isNull()) {
            String text = string(net, "$.inject.net");
            if (text != null) {
                inject = inject.withNet(text);
            }
        }
        JsonNode network = node.get("network");
        if (network != null && !network.isNull()) {
            Optional<NetworkConfig> config = NetworkDecoder.decode(network, "$.inject.network", this::problem);
            if (config.isPresent()) {
                inject = inject.withNetwork(config.get());
            }
        }
        JsonNode hostname = node.get("hostname");
        if (hostname != null && !hostname.isNull()) {
            String text = string(hostname, "$.inject.hostname");
            if (text != null && !Hostnames.isValid(text)) {
                problem(
                        "$.inject.hostname",
                        "must be a host name of letters, digits and '-' in dot-separated labels of up to 63,"
                                + " at most " + Hostnames.MAX_CHARS + " characters, such as web1 or web1.example.com");
            } else if (text != null) {
                inject = inject.withHostname(text);
            }
        }
        JsonNode users = node.get("users");
        if (users != null && !users.isNull()) {
            inject = inject.withUsers(users(users));
        }
        JsonNode nocloud = node.get("nocloud");
        if (nocloud != null && !nocloud.isNull() && isObject(nocloud, "$.inject.nocloud")) {
            unknownFields(nocloud, "$.inject.nocloud", NOCLOUD_FIELDS);
            String instanceId = string(
                    required(nocloud, "instance_id", "$.inject.nocloud.instance_id"), "$.inject.nocloud.instance_id");
            if (instanceId != null && !INSTANCE_ID.matcher(instanceId).matches()) {
                problem("$.inject.nocloud.instance_id", "must be 1 to 128 letters, digits, '_', '.', ':' or '-'");
                instanceId = null;
            }
            JsonNode userDataNode = nocloud.get("user_data");
            String userData = userDataNode == null || userDataNode.isNull()
                    ? "#cloud-config\n"
                    : string(userDataNode, "$.inject.nocloud.user_data");
            if (userData != null && userData.length() > MAX_USER_DATA_CHARS) {
                problem("$.inject.nocloud.user_data", "is longer than " + MAX_USER_DATA_CHARS + " characters");
            } else if (userData != null && instanceId != null) {
                inject = inject.withNocloud(new NoCloudSeed(instanceId, Secret.of(userData)));
            }
        }
        if (inject.net().isPresent() && network != null && !network.isNull()) {
            problem(
                    "$.inject.network",
                    "cannot go with \"net\", which writes the guest's network config as given; send one or the other");
        }
        if (inject.requested().isEmpty() && problemsUnder("$.inject") == 0) {
            problem(
                    "$.inject",
                    "names nothing to inject; give at least one of "
                            + String.join(", ", INJECT_FIELDS.stream().sorted().toList()));
        }
        fileConflicts(inject);
        return inject;
    }

    private List<GuestUser> users(JsonNode node) {
        List<GuestUser> users = new ArrayList<>();
        if (!node.isArray() || node.size() > MAX_USERS) {
            problem("$.inject.users", "must be an array of up to " + MAX_USERS + " {name, keys, password}");
            return users;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String at = "$.inject.users[" + i + "]";
            if (!isObject(node.get(i), at)) {
                continue;
            }
            unknownFields(node.get(i), at, USER_FIELDS);
            int before = problemCount;
            String name = string(required(node.get(i), "name", at + ".name"), at + ".name");
            if (name != null && !USER_NAME.matcher(name).matches()) {
                problem(
                        at + ".name",
                        "must be a login name: a lower-case letter or '_', then up to 31 of letters, digits, '_' or '-'");
            } else if (name != null && name.equals("root")) {
                problem(at + ".name", "is root, whose key and password are the \"key\" and \"admin_password\" items");
            } else if (name != null && !names.add(name)) {
                problem(at + ".name", "repeats an earlier user");
            }
            List<SshPublicKey> keys = new ArrayList<>();
            JsonNode keyNodes = node.get(i).get("keys");
            if (keyNodes != null && !keyNodes.isNull() && (!keyNodes.isArray() || keyNodes.size() > MAX_USER_KEYS)) {
                problem(at + ".keys", "must be an array of up to " + MAX_USER_KEYS + " OpenSSH public key lines");
            } else if (keyNodes != null) {
                for (int k = 0; k < keyNodes.size(); k++) {
                    String line = string(keyNodes.get(k), at + ".keys[" + k + "]");
                    try {
                        if (line != null) {
                            keys.add(SshPublicKey.parse(line));
                        }
                    } catch (IllegalArgumentException e) {
                        problem(at + ".keys[" + k + "]", e.getMessage());
                    }
                }
            }
            Optional<Secret> password = Optional.empty();
            JsonNode passwordNode = node.get(i).get("password");
            if (passwordNode != null && !passwordNode.isNull()) {
                String text = string(passwordNode, at + ".password");
                if (text != null && (text.isEmpty() || text.length() > MAX_PASSWORD_CHARS || text.indexOf('\0') >= 0)) {
                    problem(at + ".password", "must be 1 to " + MAX_PASSWORD_CHARS + " characters with no NUL");
                } else if (text != null) {
                    password = Optional.of(Secret.of(text));
                }
            }
            if (problemCount == before && keys.isEmpty() && password.isEmpty()) {
                problem(at, "gives neither keys nor a password");
            }
            if (problemCount == before) {
                users.add(new GuestUser(name, keys, password));
            }
        }
        return users;
    }

    private List<FileInjection> files(JsonNode node) {
        List<FileInjection> files = new ArrayList<>();
        if (!node.isArray()) {
            problem(
                    "$.inject.files",
                    "must be an array of {path, content_b64[, mode, uid, gid]}, not " + describe(node));
            return files;
        }
        Map<String, String> firstByPath = new HashMap<>();
        for (int i = 0; i < node.size(); i++) {
            String at = "$.inject.files[" + i + "]";
            FileInjection file = file(node.get(i), at);
            if (file == null) {
                continue;
            }
            String earlier = firstByPath.putIfAbsent(file.path(), at);
            if (earlier != null) {
                problem(at + ".path", "repeats the path of " + earlier);
            }
            files.add(file);
        }
        return files;
    }

    private FileInjection file(JsonNode node, String at) {
        if (!isObject(node, at)) {
            return null;
        }
        unknownFields(node, at, FILE_FIELDS);
        int before = problems.size();
        String path = string(required(node, "path", at + ".path"), at + ".path");
        if (path != null) {
            GuestPaths.problemWith(path).ifPresent(p -> problem(at + ".path", p));
        }
        String base64 = string(required(node, "content_b64", at + ".content_b64"), at + ".content_b64");
        byte[] content = null;
        if (base64 != null) {
            try {
                content = Base64.getDecoder().decode(WHITESPACE.matcher(base64).replaceAll(""));
            } catch (IllegalArgumentException e) {
                problem(at + ".content_b64", "is not valid base64");
            }
        }
        Optional<Integer> mode = Optional.empty();
        JsonNode modeNode = node.get("mode");
        if (modeNode != null && !modeNode.isNull()) {
            String text = modeNode.isTextual() ? modeNode.asText() : null;
            if (text == null || !text.matches("0?[0-7]{3,4}") || Integer.parseInt(text, 8) > 07777) {
                problem(
                        at + ".mode",
                        "must be an octal string such as \"0644\", not "
                                + (text == null ? describe(modeNode) : "this string"));
            } else {
                mode = Optional.of(Integer.parseInt(text, 8));
            }
        }
        Optional<Long> uid = id(node.get("uid"), at + ".uid");
        Optional<Long> gid = id(node.get("gid"), at + ".gid");
        if (problems.size() > before) {
            return null;
        }
        return new FileInjection(path, Secret.of(content), mode, uid, gid);
    }

    private Map<String, String> metadata(JsonNode node) {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (!node.isObject()) {
            problem("$.inject.metadata", "must be an object of string values, not " + describe(node));
            return metadata;
        }
        int position = 0;
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            position++;
            if (entry.getValue().isTextual()) {
                metadata.put(entry.getKey(), entry.getValue().asText());
            } else {
                problem(
                        "$.inject.metadata",
                        "entry " + position + " must have a string value, not " + describe(entry.getValue()));
            }
        }
        return metadata;
    }

    private void fileConflicts(Injections inject) {
        Set<ItemName> requested = inject.requested();
        for (int i = 0; i < inject.files().size(); i++) {
            ItemName owner = PATHS_OWNED_BY_ITEMS.get(inject.files().get(i).path());
            if (owner != null && requested.contains(owner)) {
                problem(
                        "$.inject.files[" + i + "].path",
                        "is also written by the \"" + owner + "\" item; send one or the other");
            }
        }
    }

    private Set<ItemName> mandatory(JsonNode node) {
        Set<ItemName> mandatory = EnumSet.noneOf(ItemName.class);
        if (node == null || node.isNull()) {
            return mandatory;
        }
        if (!node.isArray()) {
            problem(
                    "$.mandatory",
                    "must be an array of item names (" + ItemName.allNames() + "), not " + describe(node));
            return mandatory;
        }
        for (int i = 0; i < node.size(); i++) {
            String at = "$.mandatory[" + i + "]";
            String name = string(node.get(i), at);
            if (name == null) {
                continue;
            }
            Optional<ItemName> item = ItemName.fromWireName(name);
            if (item.isEmpty()) {
                problem(at, "is not an item; use one of " + ItemName.allNames());
            } else if (!mandatory.add(item.get())) {
                problem(at, "repeats an earlier item");
            }
        }
        return mandatory;
    }

    private List<HandlerName> handlers(JsonNode node) {
        List<HandlerName> handlers = new ArrayList<>();
        if (node == null || node.isNull()) {
            return handlers;
        }
        if (!node.isArray() || node.isEmpty()) {
            problem(
                    "$.handlers",
                    "must be a non-empty array of handler names (" + HandlerName.allNames()
                            + "), or left out to use the worker's order");
            return handlers;
        }
        for (int i = 0; i < node.size(); i++) {
            String at = "$.handlers[" + i + "]";
            String name = string(node.get(i), at);
            if (name == null) {
                continue;
            }
            Optional<HandlerName> handler = HandlerName.fromWireName(name);
            if (handler.isEmpty()) {
                problem(at, "is not a handler; use one of " + HandlerName.allNames());
            } else if (handlers.contains(handler.get())) {
                problem(at, "repeats an earlier handler");
            } else {
                handlers.add(handler.get());
            }
        }
        return handlers;
    }

    private Optional<Long> id(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.canConvertToExactIntegral() || node.asLong() < 0 || node.asLong() > MAX_ID) {
            problem(at, "must be a number from 0 to " + MAX_ID + ", not " + describe(node));
            return Optional.empty();
        }
        return Optional.of(node.asLong());
    }

    private JsonNode required(JsonNode parent, String field, String at) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            problem(at, "is required");
            return null;
        }
        return node;
    }

    private boolean isObject(JsonNode node, String at) {
        if (node == null) {
            return false;
        }
        if (!node.isObject()) {
            problem(at, "must be an object, not " + describe(node));
            return false;
        }
        return true;
    }

    private String string(JsonNode node, String at) {
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            problem(at, "must be a string, not " + describe(node));
            return null;
        }
        return node.asText();
    }

    private void unknownFields(JsonNode node, String at, Set<String> known) {
        String knownHere = "known fields here: "
                + String.join(", ", known.stream().sorted().toList());
        int position = 0;
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            position++;
            if (known.contains(name)) {
                continue;
            }
            if (PlainNames.isPlain(name)) {
                problem(at + "." + name, "is not a v1 field; " + knownHere);
            } else {
                problem(at, "field " + position + " is not a v1 field; " + knownHere);
            }
        }
    }

    private void problem(String path, String message) {
        problemCount++;
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(new Problem(path, message));
        }
    }

    private long problemsUnder(String prefix) {
        return problems.stream().filter(p -> p.path().startsWith(prefix)).count();
    }

    private static String describe(JsonNode node) {
        return Describe.of(node);
    }
}
