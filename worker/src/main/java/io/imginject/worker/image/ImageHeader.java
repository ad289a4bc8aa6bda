package io.imginject.worker.image;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ImageFormat;
import io.imginject.worker.failure.InjectException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an image's first bytes say, read by the worker itself before any qemu tool opens the file: its format
 * and every other file it names (backing file, qcow2 external data file, vmdk parent and extents). The bytes may
 * have been written by a guest, so every read is bounded and a malformed header is {@code image_corrupt}. This is
 * nova's format inspector (OSSA-2024-001) for the formats qemu would follow to other files; vdi, vhdx and vpc are
 * recognised only so that qemu-img is told the right format.
 *
 * @param format the format the header shows; raw when it shows none
 * @param backingFile the backing (or vmdk parent) file name as written in the image
 * @param backingFormat the backing file's format as recorded in the image, if it is
 * @param otherFiles the other files the image names, each described for a person ("external data file \"x\"")
 */
public record ImageHeader(
        ImageFormat format, Optional<String> backingFile, Optional<String> backingFormat, List<String> otherFiles) {
    private static final int PROBE_BYTES = 2 << 20;
    private static final int MAX_NAME = 4096;
    private static final int MAX_DESCRIPTOR = 1 << 20;
    private static final int VMDK_PARENT_AREA = 20 * 512;
    private static final Set<String> SINGLE_FILE_VMDK = Set.of("monolithicSparse", "streamOptimized");
    private static final Pattern CREATE_TYPE = Pattern.compile("(?m)^\\s*createType\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern PARENT_HINT = Pattern.compile("parentFileNameHint\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern EXTENT =
            Pattern.compile("(?m)^\\s*(?:RW|RDONLY|NOACCESS)\\s+\\d+\\s+\\w+(?:\\s+\"([^\"]*)\")?");

    /** Whether the image names any file besides itself. */
    public boolean namesOtherFiles() {
        return backingFile.isPresent() || !otherFiles.isEmpty();
    }

    /** Everything the image names, for a message. */
    public String describeNames() {
        List<String> all = new ArrayList<>();
        backingFile.ifPresent(name -> all.add("backing file \"" + name + "\""));
        all.addAll(otherFiles);
        return String.join(", ", all);
    }

    /** Reads the header of {@code file}, through the worker's own descriptor of it. */
    public static ImageHeader read(HeldImageFile file) {
        try {
            return new Reader(file.path(), file.channel()).header();
        } catch (IOException e) {
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT, "cannot read the header of " + file.path() + ": " + e.getMessage());
        }
    }

    private static final class Reader {
        private final Path path;
        private final FileChannel file;
        private final ByteBuffer start;

        Reader(Path path, FileChannel file) throws IOException {
            this.path = path;
            this.file = file;
            this.start = bytes(0, (int) Math.min(PROBE_BYTES, file.size()));
        }

        /** Header magics of formats qemu knows and the worker does not open, with qemu's names for them. */
        private static final Map<String, String> FORMATS_NOT_OPENED = Map.of(
                "WithoutFreeSpace",
                "parallels",
                "WithouFreSpacExt",
                "parallels",
                "Bochs Virtual HD Image",
                "bochs",
                "#!/bin/sh\n#V2.0 Format",
                "cloop");

        ImageHeader header() throws IOException {
            if (startsWith("QFI\u00fb")) {
                return qcow2();
            }
            if (startsWith("QED\0")) {
                return qed();
            }
            if (startsWith("KDMV")) {
                return sparseVmdk();
            }
            if (isVmdkDescriptor()) {
                return textVmdk(ascii(start, 0, start.limit()));
            }
            if (start.limit() >= 0x44 && start.order(ByteOrder.LITTLE_ENDIAN).getInt(0x40) == 0xbeda107f) {
                return plain(ImageFormat.VDI);
            }
            if (startsWith("vhdxfile")) {
                return plain(ImageFormat.VHDX);
            }
            if (startsWith("conectix")) {
                return plain(ImageFormat.VPC);
            }
            for (Map.Entry<String, String> other : FORMATS_NOT_OPENED.entrySet()) {
                if (startsWith(other.getKey())) {
                    throw new InjectException(
                            ErrorCode.UNSUPPORTED_FORMAT,
                            "the image's header says it is in format \"" + other.getValue() + "\"; the worker opens "
                                    + ImageFormat.allNames());
                }
            }
            return plain(ImageFormat.RAW);
        }

        private ImageHeader qcow2() {
            ByteBuffer header = start.order(ByteOrder.BIG_ENDIAN);
            need(header, 72, "qcow2");
            int version = header.getInt(4);
            long backingOffset = header.getLong(8);
            int backingSize = header.getInt(16);
            int clusterBits = header.getInt(20);
            if (version != 2 && version != 3) {
                throw malformed("qcow2", "version " + version + " is neither 2 nor 3");
            }
            if (clusterBits < 9 || clusterBits > 21) {
                throw malformed("qcow2", "cluster bits " + clusterBits + " out of 9..21");
            }
            long clusterSize = 1L << clusterBits;
            int headerLength = 72;
            long incompatible = 0;
            if (version == 3) {
                need(header, 104, "qcow2");
                incompatible = header.getLong(72);
                headerLength = header.getInt(100);
                if (headerLength < 104 || headerLength > clusterSize) {
                    throw malformed(
                            "qcow2",
                            "header length " + Integer.toUnsignedString(headerLength) + " out of 104.." + clusterSize);
                }
            }
            Optional<String> backing = Optional.empty();
            if (backingOffset != 0) {
                if (backingSize < 0
                        || backingSize > MAX_NAME
                        || backingOffset < headerLength
                        || backingOffset + backingSize > clusterSize) {
                    throw malformed(
                            "qcow2",
                            "backing file name at " + Long.toUnsignedString(backingOffset) + " of "
                                    + Integer.toUnsignedString(backingSize) + " bytes lies outside the first cluster");
                }
                backing = Optional.of(text(header, (int) backingOffset, backingSize, "qcow2"));
            }
            Optional<String> backingFormat = Optional.empty();
            List<String> others = new ArrayList<>();
            long end = backingOffset != 0 ? backingOffset : clusterSize;
            long at = headerLength;
            while (at + 8 <= end) {
                need(header, at + 8, "qcow2");
                int type = header.getInt((int) at);
                long length = Integer.toUnsignedLong(header.getInt((int) at + 4));
                at += 8;
                if (type == 0) {
                    break;
                }
                if (at + length > end) {
                    throw malformed(
                            "qcow2", "header extension 0x" + Integer.toHexString(type) + " runs past the header area");
                }
                if (type == 0xE2792ACA) {
                    backingFormat = Optional.of(text(header, (int) at, (int) length, "qcow2"));
                } else if (type == 0x44415441) {
                    others.add("external data file \"" + text(header, (int) at, (int) length, "qcow2") + "\"");
                }
                at += (length + 7) & ~7L;
            }
            if ((incompatible & 4) != 0 && others.isEmpty()) {
                others.add("an external data file (named by the caller, not in the image)");
            }
            return new ImageHeader(ImageFormat.QCOW2, backing, backingFormat, List.copyOf(others));
        }

        private ImageHeader qed() {
            ByteBuffer header = start.order(ByteOrder.LITTLE_ENDIAN);
            need(header, 64, "qed");
            long features = header.getLong(16);
            if ((features & 1) == 0) {
                return plain(ImageFormat.QED);
            }
            long offset = Integer.toUnsignedLong(header.getInt(56));
            long size = Integer.toUnsignedLong(header.getInt(60));
            if (size > MAX_NAME || offset + size > header.limit()) {
                throw malformed(
                        "qed", "backing file name at " + offset + " of " + size + " bytes lies outside the header");
            }
            Optional<String> format = (features & 4) != 0 ? Optional.of("raw") : Optional.empty();
            return new ImageHeader(
                    ImageFormat.QED, Optional.of(text(header, (int) offset, (int) size, "qed")), format, List.of());
        }

        private ImageHeader sparseVmdk() throws IOException {
            ByteBuffer header = start.order(ByteOrder.LITTLE_ENDIAN);
            need(header, 44, "vmdk");
            long descriptorOffset = header.getLong(28);
            long descriptorSize = header.getLong(36);
            String descriptor = "";
            if (descriptorOffset != 0) {
                if (descriptorSize < 0
                        || descriptorSize > MAX_DESCRIPTOR / 512
                        || descriptorOffset < 0
                        || descriptorOffset > Long.MAX_VALUE / 512
                        || descriptorOffset * 512 + descriptorSize * 512 > file.size()) {
                    throw malformed(
                            "vmdk",
                            "embedded descriptor at sector " + Long.toUnsignedString(descriptorOffset) + " of "
                                    + Long.toUnsignedString(descriptorSize)
                                    + " sectors lies outside the file or is too large");
                }
                descriptor =
                        ascii(bytes(descriptorOffset * 512, (int) descriptorSize * 512), 0, (int) descriptorSize * 512);
            }
            // qemu looks for the parent in the 20 sectors after the header, whatever descriptorOffset says
            String parentArea =
                    start.limit() > 512 ? ascii(start, 512, Math.min(start.limit(), 512 + VMDK_PARENT_AREA)) : "";
            List<String> others = new ArrayList<>();
            Matcher type = CREATE_TYPE.matcher(descriptor);
            if (type.find() && !SINGLE_FILE_VMDK.contains(type.group(1))) {
                others.add("extent files (create type \"" + type.group(1) + "\")");
            }
            List<String> extents = extents(descriptor);
            if (extents.size() > 1) {
                others.add("extent files " + quoted(extents));
            }
            return new ImageHeader(
                    ImageFormat.VMDK,
                    parent(descriptor).or(() -> parent(parentArea)),
                    Optional.empty(),
                    List.copyOf(others));
        }

        private ImageHeader textVmdk(String descriptor) {
            Matcher type = CREATE_TYPE.matcher(descriptor);
            String createType = type.find() ? type.group(1) : "";
            List<String> extents = extents(descriptor);
            String what = "extent files " + (extents.isEmpty() ? "(none listed)" : quoted(extents))
                    + " (a vmdk of create type \"" + createType
                    + "\", a descriptor whose data lives in separate extent files)";
            return new ImageHeader(ImageFormat.VMDK, parent(descriptor), Optional.empty(), List.of(what));
        }

        private static List<String> extents(String descriptor) {
            List<String> names = new ArrayList<>();
            Matcher extent = EXTENT.matcher(descriptor);
            while (extent.find()) {
                names.add(extent.group(1) == null ? "" : extent.group(1));
            }
            return names;
        }

        private static Optional<String> parent(String descriptor) {
            if (!descriptor.contains("parentFileNameHint")) {
                return Optional.empty();
            }
            Matcher hint = PARENT_HINT.matcher(descriptor);
            return Optional.of(hint.find() ? hint.group(1) : "(unparsable parentFileNameHint)");
        }

        private static String quoted(List<String> names) {
            return "\"" + String.join("\", \"", names) + "\"";
        }

        /** qemu's vmdk probe: comment and blank lines, then a {@code version=N} line. */
        private boolean isVmdkDescriptor() {
            String text = ascii(start, 0, Math.min(start.limit(), 4096));
            for (String line : text.split("\n", -1)) {
                String stripped = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                if (stripped.startsWith("#")
                        || (!stripped.isEmpty() && stripped.isBlank() && stripped.charAt(0) == ' ')) {
                    continue;
                }
                return stripped.equals("version=1") || stripped.equals("version=2") || stripped.equals("version=3");
            }
            return false;
        }

        private boolean startsWith(String magic) {
            byte[] expected = magic.getBytes(StandardCharsets.ISO_8859_1);
            if (start.limit() < expected.length) {
                return false;
            }
            for (int i = 0; i < expected.length; i++) {
                if (start.get(i) != expected[i]) {
                    return false;
                }
            }
            return true;
        }

        private ByteBuffer bytes(long offset, int length) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining()) {
                if (file.read(buffer, offset + buffer.position()) < 0) {
                    break;
                }
            }
            return buffer.flip();
        }

        private void need(ByteBuffer header, long bytes, String format) {
            if (header.limit() < bytes) {
                throw malformed(format, "the file ends after " + header.limit() + " bytes, inside its header");
            }
        }

        private String text(ByteBuffer header, int offset, int length, String format) {
            if (length > MAX_NAME || offset < 0 || offset + length > header.limit()) {
                throw malformed(
                        format,
                        "a name of " + Integer.toUnsignedString(length) + " bytes at " + offset
                                + " lies outside the header");
            }
            byte[] bytes = new byte[length];
            header.get(offset, bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private static String ascii(ByteBuffer buffer, int from, int to) {
            byte[] bytes = new byte[to - from];
            buffer.get(from, bytes);
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        private InjectException malformed(String format, String detail) {
            return new InjectException(
                    ErrorCode.IMAGE_CORRUPT, "the " + format + " header of " + path + " is malformed: " + detail);
        }
    }

    private static ImageHeader plain(ImageFormat format) {
        return new ImageHeader(format, Optional.empty(), Optional.empty(), List.of());
    }
}
