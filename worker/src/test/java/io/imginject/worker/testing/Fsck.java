package io.imginject.worker.testing;

import java.nio.file.Path;

/** Checks an image's root filesystem for corruption without changing it: e2fsck -fn or xfs_repair -n. */
public final class Fsck {
    private Fsck() {}

    /** Fails (with the checker's output) unless the root filesystem of {@code image} is clean. */
    public static void assertClean(TestImages.Built image) {
        Path raw = image.path();
        boolean converted = raw.toString().endsWith(".qcow2");
        if (converted) {
            raw = raw.resolveSibling(raw.getFileName() + ".fsck-raw");
            Commands.run(
                    "qemu-img",
                    "convert",
                    "-f",
                    "qcow2",
                    "-O",
                    "raw",
                    image.path().toString(),
                    raw.toString());
        }
        try {
            if (image.fs() == TestImages.Fs.EXT4) {
                Commands.run("e2fsck", "-fn", raw + "?offset=" + image.offset());
            } else {
                String device = Commands.run(
                                "losetup",
                                "--find",
                                "--show",
                                "--read-only",
                                "--offset",
                                Long.toString(image.offset()),
                                "--sizelimit",
                                Long.toString(image.size()),
                                raw.toString())
                        .strip();
                try {
                    Commands.run("xfs_repair", "-n", device);
                } finally {
                    Commands.run("losetup", "--detach", device);
                }
            }
        } finally {
            if (converted) {
                raw.toFile().delete();
            }
        }
    }
}
