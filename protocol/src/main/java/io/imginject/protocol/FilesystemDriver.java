package io.imginject.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/** What read the image's filesystem in a handler attempt. */
public enum FilesystemDriver {
    /** The host kernel's own filesystem driver (a host mount): only for images under a trusted image root. */
    KERNEL("kernel"),
    /** fuse2fs, libext2fs in a userspace process of an unprivileged user, for ext2/3/4. */
    FUSE2FS("fuse2fs"),
    /** The libguestfs appliance's kernel, inside a VM. */
    APPLIANCE("appliance");

    private final String wireName;

    FilesystemDriver(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static FilesystemDriver fromWireName(String name) {
        return Arrays.stream(values())
                .filter(d -> d.wireName.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no filesystem driver is called " + name));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
