package io.imginject.worker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds real disk images for tests with the real tools, never mounting anything: sfdisk writes the partition
 * table, mkfs.ext4 -d or mkfs.xfs -p fills a filesystem from a {@link GuestTree}, qemu-img converts formats.
 *
 * <p>Layouts: WHOLE_DISK holds the root filesystem alone. MBR holds the root on partition 1 and a data
 * filesystem without an OS on partition 2; GPT holds a boot filesystem without an OS on partition 1 and the root
 * on partition 2. So finding the root (partition -1) has to look into more than one filesystem.
 */
public final class TestImages {
    private static final long MIB = 1 << 20;
    private static final long SIDE_FS_MIB = 16;
    /** The label of the GPT layout's boot filesystem, for fstabs that mount it. */
    public static final String GPT_BOOT_LABEL = "boot";

    public enum Layout {
        WHOLE_DISK,
        MBR,
        GPT
    }

    public enum Fs {
        EXT4("ext4", 48),
        XFS("xfs", 320);

        final String type;
        final long mib;

        Fs(String type, long mib) {
            this.type = type;
            this.mib = mib;
        }

        public String type() {
            return type;
        }
    }

    /**
     * A built image.
     *
     * @param path the image file
     * @param layout its layout
     * @param fs the root filesystem's type
     * @param offset where the root filesystem starts
     * @param size its length
     * @param rootPartition its partition number, 0 for the whole disk
     */
    public record Built(Path path, Layout layout, Fs fs, long offset, long size, int rootPartition) {}

    private TestImages() {}

    public static Built build(Path directory, String name, Layout layout, Fs fs, GuestTree tree) throws IOException {
        Path image = directory.resolve(name);
        Path treeDirectory = Files.createTempDirectory(directory, "tree-");
        try {
            tree.materialize(treeDirectory);
            long rootBytes = fs.mib * MIB;
            return switch (layout) {
                case WHOLE_DISK -> {
                    makeFilesystem(fs, treeDirectory, image, 0, rootBytes);
                    yield new Built(image, layout, fs, 0, rootBytes, 0);
                }
                case MBR -> {
                    long rootOffset = MIB;
                    long dataOffset = rootOffset + rootBytes;
                    partitioned(
                            image,
                            "dos",
                            rootOffset + rootBytes + SIDE_FS_MIB * MIB + MIB,
                            List.of(rootOffset, dataOffset),
                            List.of(rootBytes, SIDE_FS_MIB * MIB));
                    makeFilesystem(fs, treeDirectory, image, rootOffset, rootBytes);
                    makeFilesystem(Fs.EXT4, emptyTree(directory), image, dataOffset, SIDE_FS_MIB * MIB);
                    yield new Built(image, layout, fs, rootOffset, rootBytes, 1);
                }
                case GPT -> {
                    long bootOffset = MIB;
                    long rootOffset = bootOffset + SIDE_FS_MIB * MIB;
                    partitioned(
                            image,
                            "gpt",
                            rootOffset + rootBytes + MIB,
                            List.of(bootOffset, rootOffset),
                            List.of(SIDE_FS_MIB * MIB, rootBytes));
                    Commands.run(
                            "mkfs.ext4",
                            "-q",
                            "-F",
                            "-L",
                            GPT_BOOT_LABEL,
                            "-d",
                            emptyTree(directory).toString(),
                            "-E",
                            "offset=" + bootOffset,
                            image.toString(),
                            (SIDE_FS_MIB * MIB / 1024) + "k");
                    makeFilesystem(fs, treeDirectory, image, rootOffset, rootBytes);
                    yield new Built(image, layout, fs, rootOffset, rootBytes, 2);
                }
            };
        } finally {
            deleteTree(treeDirectory);
        }
    }

    /**
     * A raw MBR disk whose one partition holds an ext4 filesystem of {@code rootBytes} made from {@code tree}, a
     * whole operating system (one debootstrap built, say), so that qemu boots it with {@code root=/dev/vda1}.
     */
    public static Built bootableDisk(Path image, Path tree, long rootBytes) throws IOException {
        long rootOffset = MIB;
        partitioned(image, "dos", rootOffset + rootBytes, List.of(rootOffset), List.of(rootBytes));
        makeFilesystem(Fs.EXT4, tree, image, rootOffset, rootBytes);
        return new Built(image, Layout.MBR, Fs.EXT4, rootOffset, rootBytes, 1);
    }

    /** The GPT layout's first partition: an empty ext4 filesystem labelled {@value #GPT_BOOT_LABEL}. */
    /** A 34 MiB MBR disk whose one partition holds an empty NTFS filesystem, as a Windows disk has. */
    public static Path windowsDisk(Path directory, String name) throws IOException {
        Path image = directory.resolve(name);
        Commands.run("truncate", "-s", "34M", image.toString());
        Commands.run(
                "sh",
                "-c",
                "echo 'label: dos\nstart=2048, size=65536, type=7' | sfdisk -q \"$1\"",
                "sfdisk",
                image.toString());
        Path filesystem = image.resolveSibling(name + ".ntfs");
        Commands.run("truncate", "-s", "32M", filesystem.toString());
        Commands.run("mkfs.ntfs", "-q", "-F", "-f", "-p", "2048", filesystem.toString());
        Commands.run("dd", "if=" + filesystem, "of=" + image, "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none");
        Files.delete(filesystem);
        return image;
    }

    public static Built gptBootFilesystem(Built image) {
        return new Built(image.path(), image.layout(), Fs.EXT4, MIB, SIDE_FS_MIB * MIB, 1);
    }

    /** Where the root filesystem of an EXT4 GPT image starts: after the 1 MiB gap and the boot partition. */
    public static long gptRootOffset() {
        return MIB + SIDE_FS_MIB * MIB;
    }

    /** A copy of {@code image} in qcow2 format, next to it. */
    public static Built toQcow2(Built image) {
        Path qcow2 = image.path().resolveSibling(image.path().getFileName() + ".qcow2");
        Commands.run(
                "qemu-img", "convert", "-f", "raw", "-O", "qcow2", image.path().toString(), qcow2.toString());
        return new Built(qcow2, image.layout(), image.fs(), image.offset(), image.size(), image.rootPartition());
    }

    private static void partitioned(Path image, String label, long totalBytes, List<Long> offsets, List<Long> sizes)
            throws IOException {
        Files.deleteIfExists(image);
        Commands.run("truncate", "-s", Long.toString(totalBytes), image.toString());
        StringBuilder script = new StringBuilder("label: " + label + "\n");
        for (int i = 0; i < offsets.size(); i++) {
            script.append("start=")
                    .append(offsets.get(i) / 512)
                    .append(", size=")
                    .append(sizes.get(i) / 512)
                    .append(", type=")
                    .append(label.equals("gpt") ? "linux" : "83")
                    .append('\n');
        }
        Path scriptFile = Files.writeString(image.resolveSibling(image.getFileName() + ".sfdisk"), script.toString());
        try {
            Commands.run("sh", "-c", "sfdisk -q \"$1\" < \"$2\"", "sfdisk", image.toString(), scriptFile.toString());
        } finally {
            Files.deleteIfExists(scriptFile);
        }
    }

    private static void makeFilesystem(Fs fs, Path tree, Path image, long offset, long bytes) throws IOException {
        if (fs == Fs.EXT4) {
            if (offset == 0) {
                Files.deleteIfExists(image);
            }
            Commands.run(
                    "mkfs.ext4",
                    "-q",
                    "-F",
                    "-d",
                    tree.toString(),
                    "-E",
                    "offset=" + offset,
                    image.toString(),
                    (bytes / 1024) + "k");
            return;
        }
        Path proto = Files.writeString(image.resolveSibling(image.getFileName() + ".proto"), XfsProto.of(tree));
        Path filesystem = offset == 0 ? image : image.resolveSibling(image.getFileName() + ".xfs");
        try {
            Files.deleteIfExists(filesystem);
            Commands.run("truncate", "-s", Long.toString(bytes), filesystem.toString());
            Commands.run("mkfs.xfs", "-q", "-f", "-p", proto.toString(), filesystem.toString());
            if (offset != 0) {
                Commands.run(
                        "dd",
                        "if=" + filesystem,
                        "of=" + image,
                        "bs=1M",
                        "seek=" + offset / MIB,
                        "conv=notrunc,sparse",
                        "status=none");
            }
        } finally {
            Files.deleteIfExists(proto);
            if (offset != 0) {
                Files.deleteIfExists(filesystem);
            }
        }
    }

    private static Path emptyTree(Path directory) throws IOException {
        return Files.createDirectories(directory.resolve("empty-tree"));
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path :
                    walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes an mkfs.xfs prototype file that reproduces a host directory tree with its modes and owners. */
    static final class XfsProto {
        private XfsProto() {}

        static String of(Path tree) throws IOException {
            StringBuilder proto = new StringBuilder("/dev/null\n0 0\n");
            proto.append(spec(tree, "d")).append('\n');
            directory(tree, proto);
            proto.append("$\n");
            return proto.toString();
        }

        private static void directory(Path directory, StringBuilder proto) throws IOException {
            List<Path> children = new ArrayList<>();
            try (Stream<Path> list = Files.list(directory)) {
                list.sorted().forEach(children::add);
            }
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (Files.isSymbolicLink(child)) {
                    proto.append(name)
                            .append(' ')
                            .append(spec(child, "l"))
                            .append(' ')
                            .append(Files.readSymbolicLink(child))
                            .append('\n');
                } else if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    proto.append(name).append(' ').append(spec(child, "d")).append('\n');
                    directory(child, proto);
                    proto.append("$\n");
                } else if (Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
                    proto.append(name)
                            .append(' ')
                            .append(spec(child, "-"))
                            .append(' ')
                            .append(child)
                            .append('\n');
                } else {
                    proto.append(name).append(' ').append(spec(child, "p")).append('\n');
                }
            }
        }

        private static String spec(Path path, String type) throws IOException {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attributes.get("mode");
            String setuid = (mode & 04000) != 0 ? "u" : "-";
            String setgid = (mode & 02000) != 0 ? "g" : "-";
            return type + setuid + setgid + String.format("%03o", mode & 0777) + " " + attributes.get("uid") + " "
                    + attributes.get("gid");
        }
    }
}
