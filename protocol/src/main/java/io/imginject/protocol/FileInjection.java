package io.imginject.protocol;

import java.util.Optional;

/**
 * A file to write into the guest. The content is a {@link Secret}: it never appears in logs.
 *
 * @param path absolute guest path, with no {@code .} or {@code ..} components
 * @param content the bytes to write
 * @param mode permission bits, e.g. {@code 0644}; empty keeps an existing file's mode, or 0644 for a new file
 * @param uid owner; empty keeps an existing file's owner, or 0 for a new file
 * @param gid group; empty keeps an existing file's group, or 0 for a new file
 */
public record FileInjection(
        String path, Secret content, Optional<Integer> mode, Optional<Long> uid, Optional<Long> gid) {

    public static FileInjection of(String path, byte[] content) {
        return new FileInjection(path, Secret.of(content), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public FileInjection withMode(int newMode) {
        return new FileInjection(path, content, Optional.of(newMode), uid, gid);
    }

    public FileInjection withOwner(long newUid, long newGid) {
        return new FileInjection(path, content, mode, Optional.of(newUid), Optional.of(newGid));
    }
}
