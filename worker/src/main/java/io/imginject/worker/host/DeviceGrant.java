package io.imginject.worker.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A device node lent to an unprivileged user (the fuse2fs driver's), so that it can open that one device and no
 * other. Journaled with the owner and mode the node had before, which releasing puts back.
 */
public record DeviceGrant(Path device, int uid, int gid, int mode) implements HeldResource {
    private static final int OWNER_READ_WRITE = 0600;

    /** The grant of {@code device} as it stands now, before it is lent. */
    public static DeviceGrant of(Path device) throws IOException {
        return new DeviceGrant(
                device,
                (Integer) Files.getAttribute(device, "unix:uid"),
                (Integer) Files.getAttribute(device, "unix:gid"),
                (Integer) Files.getAttribute(device, "unix:mode") & 07777);
    }

    static DeviceGrant from(JournalFields fields) throws UnreadableJournalException {
        return new DeviceGrant(fields.path("device"), (int) fields.number("uid"), (int) fields.number("gid"), (int)
                fields.number("mode"));
    }

    /** Lends the device to {@code user}: it alone may read and write it. */
    public void lendTo(UnprivilegedUser user) throws IOException {
        Files.setAttribute(device, "unix:mode", OWNER_READ_WRITE);
        Files.setAttribute(device, "unix:gid", user.gid());
        Files.setAttribute(device, "unix:uid", user.uid());
    }

    @Override
    public JournalFields fields() {
        return JournalFields.of("device", device)
                .and("uid", uid)
                .and("gid", gid)
                .and("mode", mode);
    }

    @Override
    public void release(ReleaseTools host) throws IOException {
        if (!Files.exists(device, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.setAttribute(device, "unix:uid", uid);
        Files.setAttribute(device, "unix:gid", gid);
        Files.setAttribute(device, "unix:mode", mode);
    }
}
