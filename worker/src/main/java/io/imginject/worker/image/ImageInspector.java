package io.imginject.worker.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ImageFormat;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Vouches for an image before any handler opens it: its format, whether qemu's image lock shows another process
 * (a running VM) using it, and every file it refers to. Backing files, qcow2 external data files and vmdk extents
 * make qemu open other host files, the CVE-2010-3851 class of attack; each must lie under the image roots and have
 * a recorded format, and vmdk must be a single file.
 *
 * <p>The worker reads the header itself first ({@link ImageHeader}), so that no qemu tool opens anything the image
 * names before the worker has vetted it: qemu-img info opens a qcow2 data file or vmdk extents, and a FIFO there
 * would hold the job. A format left out of the request is taken from the header, which a guest may have written
 * (a raw disk's first bytes); such a detected image is refused if it names any other file (OSSA-2024-001), since
 * otherwise a tenant could read another tenant's disk through a backing file. With a stated format the whole chain
 * is vetted from the headers. qemu-img is then always told the format ({@code -f}, so it never probes) and runs
 * under {@code prlimit} with a memory and CPU cap, as nova does since CVE-2015-5162; its report is checked again.
 */
public final class ImageInspector {
    private static final JsonMapper JSON = new JsonMapper();
    private static final long MAX_ADDRESS_SPACE = 1L << 30;
    private static final int MAX_CPU_SECONDS = 30;
    private static final int MAX_CHAIN = 16;
    private static final Set<String> SINGLE_FILE_VMDK = Set.of("monolithicSparse", "streamOptimized");

    private final ProcessRunner runner;
    private final ImageLocator locator;

    public ImageInspector(ProcessRunner runner, ImageLocator locator) {
        this.runner = runner;
        this.locator = locator;
    }

    /** The image at {@code path} (already located), in {@code requested} format or the one its header shows. */
    public DiskImage inspect(Path path, Optional<ImageFormat> requested) {
        ImageHeader header = ImageHeader.read(path);
        ImageFormat format = requested.orElseGet(header::format);
        if (requested.isEmpty() && header.namesOtherFiles()) {
            throw refused("the request gives no format for " + path + ", and its format was detected from the image's header as "
                    + format + ", which names " + header.describeNames() + "; a guest can write such a header into a raw disk, "
                    + "so a request must state the format (\"format\": \"" + format + "\") to use an image that names other files");
        }
        vetChain(path, format, header, new ArrayList<>());
        checkReferences(path, format, info(path, format), new ArrayList<>());
        return new DiskImage(path, format);
    }

    /** The rules of {@link #checkReferences}, applied to what the headers say, before qemu opens anything. */
    private void vetChain(Path image, ImageFormat format, ImageHeader header, List<Path> chain) {
        chain.add(image);
        if (chain.size() > MAX_CHAIN) {
            throw refused("the backing chain of " + chain.get(0) + " is longer than " + MAX_CHAIN + " images");
        }
        if (header.format() != format) {
            return;
        }
        if (!header.otherFiles().isEmpty()) {
            throw refused(image + " names " + String.join(", ", header.otherFiles()) + "; qcow2 external data files "
                    + "and multi-file vmdk are refused, only single-file vmdk (monolithicSparse, streamOptimized) is accepted");
        }
        if (header.backingFile().isEmpty()) {
            return;
        }
        String name = header.backingFile().get();
        ImageFormat next = header.backingFormat().flatMap(ImageFormat::fromQemuName).orElseThrow(() -> refused(image
                + " does not record the format of its backing file " + name + ", so qemu would have to guess it; rebase it with qemu-img rebase -F FORMAT"));
        Path backing = backing(image, name, chain);
        vetChain(backing, next, ImageHeader.read(backing), chain);
    }

    private Path backing(Path image, String name, List<Path> chain) {
        if (name.startsWith("json:") || name.contains("://")) {
            throw refused(image + " names its backing file with a protocol or JSON spec (" + name + "); only plain files are accepted");
        }
        Path backing;
        try {
            backing = locator.locate(image.getParent().resolve(name).normalize().toString());
        } catch (InjectException e) {
            throw refused("the backing file of " + image + " is refused: " + e.getMessage());
        }
        if (chain.contains(backing)) {
            throw refused("the backing chain of " + chain.get(0) + " loops back to " + backing);
        }
        return backing;
    }

    private JsonNode info(Path path, ImageFormat format) {
        List<String> argv = new ArrayList<>(List.of("prlimit", "--as=" + MAX_ADDRESS_SPACE, "--cpu=" + MAX_CPU_SECONDS,
                "qemu-img", "info", "--output=json", "-f", format.qemuName()));
        argv.add(path.toString());
        CommandResult result = runner.runAllowingFailure(argv);
        if (!result.succeeded()) {
            String error = result.stderr().strip();
            if (error.contains("lock") && error.contains("Is another process using the image")) {
                throw new InjectException(ErrorCode.IMAGE_IN_USE, path + " is in use by another process (qemu's image lock): " + error);
            }
            throw new InjectException(ErrorCode.IMAGE_CORRUPT, "qemu-img cannot read " + path
                    + " as " + format + ": " + error);
        }
        try {
            return JSON.readTree(result.stdout());
        } catch (IOException e) {
            throw new InjectException(ErrorCode.TOOL_FAILED, "qemu-img info printed something that is not JSON", e);
        }
    }

    private void checkReferences(Path image, ImageFormat format, JsonNode info, List<Path> chain) {
        chain.add(image);
        if (chain.size() > MAX_CHAIN) {
            throw refused("the backing chain of " + chain.get(0) + " is longer than " + MAX_CHAIN + " images");
        }
        JsonNode specific = info.path("format-specific").path("data");
        if (format == ImageFormat.VMDK) {
            String createType = specific.path("create-type").asText("");
            if (!SINGLE_FILE_VMDK.contains(createType)) {
                throw refused(image + " is a vmdk of create type \"" + createType + "\", whose data lives in separate extent files; "
                        + "only single-file vmdk (monolithicSparse, streamOptimized) is accepted");
            }
        }
        if (specific.hasNonNull("data-file")) {
            throw refused(image + " keeps its data in an external file (" + specific.get("data-file").asText() + ")");
        }
        if (!info.hasNonNull("backing-filename")) {
            return;
        }
        String name = info.hasNonNull("full-backing-filename") ? info.get("full-backing-filename").asText() : info.get("backing-filename").asText();
        String backingFormat = info.path("backing-filename-format").asText("");
        ImageFormat next = ImageFormat.fromQemuName(backingFormat).orElseThrow(() -> refused(image + " does not record the format of its backing file "
                + name + ", so qemu would have to guess it; rebase it with qemu-img rebase -F FORMAT"));
        Path backing = backing(image, name, chain);
        checkReferences(backing, next, info(backing, next), chain);
    }

    private static InjectException refused(String message) {
        return new InjectException(ErrorCode.UNSAFE_BACKING_FILE, message);
    }
}
