package io.imginject.worker.item;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.io.UncheckedIOException;
import java.util.Map;

/** Writes the instance metadata as a JSON object to {@code /meta.js}, as nova does. */
public final class MetadataItem implements InjectionItem {
    static final GuestPath META_JS = GuestPath.of("/meta.js");
    private static final JsonMapper JSON = new JsonMapper();

    private final Map<String, String> metadata;

    public MetadataItem(Map<String, String> metadata) {
        this.metadata = metadata;
    }

    @Override
    public ItemName name() {
        return ItemName.METADATA;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(metadata);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        return GuestFiles.replace(guest, META_JS, json)
                ? ItemResult.ok(
                        "wrote " + META_JS + " (" + metadata.size() + (metadata.size() == 1 ? " key)" : " keys)"))
                : ItemResult.ok(META_JS + " already held this metadata");
    }
}
