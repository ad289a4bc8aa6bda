package io.imginject.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Base64;

/** Turns an {@link InjectionRequest} into the v1 JSON body that {@link RequestDecoder} reads. */
public final class RequestEncoder {
    private static final JsonMapper JSON = new JsonMapper();

    private RequestEncoder() {}

    public static byte[] encode(InjectionRequest request) {
        try {
            return JSON.writeValueAsBytes(toJson(request));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode toJson(InjectionRequest request) {
        ObjectNode root = JSON.createObjectNode();
        root.put("v", RequestDecoder.PROTOCOL_VERSION);
        ObjectNode image = root.putObject("image");
        image.put("path", request.image().path());
        request.image().format().ifPresent(f -> image.put("format", f.qemuName()));
        image.put("partition", request.image().partition().wireValue());
        ObjectNode inject = root.putObject("inject");
        Injections items = request.inject();
        items.key().ifPresent(k -> inject.put("key", k.line()));
        items.adminPassword().ifPresent(p -> inject.put("admin_password", p.revealAsString()));
        if (!items.files().isEmpty()) {
            ArrayNode files = inject.putArray("files");
            for (FileInjection file : items.files()) {
                ObjectNode entry = files.addObject();
                entry.put("path", file.path());
                entry.put(
                        "content_b64",
                        Base64.getEncoder().encodeToString(file.content().reveal()));
                file.mode().ifPresent(m -> entry.put("mode", "%04o".formatted(m)));
                file.uid().ifPresent(u -> entry.put("uid", u));
                file.gid().ifPresent(g -> entry.put("gid", g));
            }
        }
        items.metadata().ifPresent(m -> {
            ObjectNode metadata = inject.putObject("metadata");
            m.forEach(metadata::put);
        });
        items.net().ifPresent(n -> inject.put("net", n));
        items.network().ifPresent(n -> NetworkEncoder.write(n, inject.putObject("network")));
        items.hostname().ifPresent(h -> inject.put("hostname", h));
        items.nocloud()
                .ifPresent(n -> inject.putObject("nocloud")
                        .put("instance_id", n.instanceId())
                        .put("user_data", n.userData().revealAsString()));
        if (!items.users().isEmpty()) {
            ArrayNode users = inject.putArray("users");
            for (GuestUser user : items.users()) {
                ObjectNode entry = users.addObject();
                entry.put("name", user.name());
                ArrayNode keys = entry.putArray("keys");
                user.keys().forEach(k -> keys.add(k.line()));
                user.password().ifPresent(p -> entry.put("password", p.revealAsString()));
            }
        }
        if (!request.mandatory().isEmpty()) {
            ArrayNode mandatory = root.putArray("mandatory");
            request.mandatory().forEach(i -> mandatory.add(i.wireName()));
        }
        if (!request.handlers().isEmpty()) {
            ArrayNode handlers = root.putArray("handlers");
            request.handlers().forEach(h -> handlers.add(h.wireName()));
        }
        return root;
    }
}
