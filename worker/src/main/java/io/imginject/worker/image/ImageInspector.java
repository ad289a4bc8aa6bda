package io.imginject.worker.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ImageFormat;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
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
 * is vetted from the headers, each file opened once as it is reached ({@link HeldImageFile}). qemu-img then reads
 * each file through the worker's descriptor with its format stated (so it never probes), under {@code prlimit} with
 * a memory and CPU cap as nova does since CVE-2015-5162, and its report must agree with the headers.
 *
 * <p>A raw file is not given to qemu-img: read as raw, it names no other file and has nothing qemu-img could
 * disagree with, so all qemu-img would add is its look at qemu's image lock, which the worker takes itself
 * ({@link QemuWriteLock#checkNotInUse}); that saves a process launch of about 6 ms on every raw job.
 */
public final class ImageInspector implements ImageInspection {
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

    /** On failure the backing files opened here are closed again. */
    @Override
    public DiskImage inspect(HeldImageFile image, Optional<ImageFormat> requested) {
        ImageHeader header = ImageHeader.read(image);
        ImageFormat format = requested.orElseGet(header::format);
        if (requested.isEmpty() && header.namesOtherFiles()) {
            throw refused("the request gives no format for " + image
                    + ", and its format was detected from the image's header as "
                    + format + ", which names " + header.describeNames()
                    + "; a guest can write such a header into a raw disk, "
                    + "so a request must state the format (\"format\": \"" + format
                    + "\") to use an image that names other files");
        }
        List<DiskImage.Layer> layers = new ArrayList<>(List.of(new DiskImage.Layer(image, format)));
        List<ImageHeader> headers = new ArrayList<>(List.of(header));
        try {
            openChain(layers, headers);
            for (int i = 0; i < layers.size(); i++) {
                if (layers.get(i).format() == ImageFormat.RAW) {
                    QemuWriteLock.checkNotInUse(layers.get(i).file());
                } else {
                    checkQemuAgrees(layers.get(i), headers.get(i));
                }
            }
            return new DiskImage(layers);
        } catch (RuntimeException e) {
            layers.subList(1, layers.size()).forEach(layer -> layer.file().close());
            throw e;
        }
    }

    /**
     * Follows the backing chain as the headers name it, before qemu opens anything, opening each file as it goes:
     * each must lie under the image roots, have a recorded format and name no data file or extent.
     */
    private void openChain(List<DiskImage.Layer> layers, List<ImageHeader> headers) {
        while (true) {
            DiskImage.Layer last = layers.get(layers.size() - 1);
            ImageHeader header = headers.get(headers.size() - 1);
            if (header.format() != last.format()) {
                return;
            }
            if (!header.otherFiles().isEmpty()) {
                throw refused(
                        last.file() + " names " + String.join(", ", header.otherFiles())
                                + "; qcow2 external data files "
                                + "and multi-file vmdk are refused, only single-file vmdk (monolithicSparse, streamOptimized) is accepted");
            }
            if (header.backingFile().isEmpty()) {
                return;
            }
            String name = header.backingFile().get();
            ImageFormat next = header.backingFormat()
                    .flatMap(ImageFormat::fromQemuName)
                    .orElseThrow(() -> refused(last.file() + " does not record the format of its backing file " + name
                            + ", so qemu would have to guess it; rebase it with qemu-img rebase -F FORMAT"));
            if (layers.size() == MAX_CHAIN) {
                throw refused(
                        "the backing chain of " + layers.get(0).file() + " is longer than " + MAX_CHAIN + " images");
            }
            HeldImageFile backing = openBacking(last.file(), name, layers);
            layers.add(new DiskImage.Layer(backing, next));
            headers.add(ImageHeader.read(backing));
        }
    }

    private HeldImageFile openBacking(HeldImageFile image, String name, List<DiskImage.Layer> chain) {
        if (name.startsWith("json:") || name.contains("://")) {
            throw refused(image + " names its backing file with a protocol or JSON spec (" + name
                    + "); only plain files are accepted");
        }
        HeldImageFile backing;
        try {
            backing = locator.open(
                    image.path().getParent().resolve(name).normalize().toString(), false);
        } catch (InjectException e) {
            throw refused("the backing file of " + image + " is refused: " + e.getMessage());
        }
        if (chain.stream().anyMatch(layer -> layer.file().path().equals(backing.path()))) {
            backing.close();
            throw refused("the backing chain of " + chain.get(0).file() + " loops back to " + backing);
        }
        return backing;
    }

    /**
     * qemu-img's own reading of one file, through the held descriptor, must show what the worker read in its header:
     * a single-file vmdk, no external data file, and the same backing file name.
     */
    private void checkQemuAgrees(DiskImage.Layer layer, ImageHeader header) {
        JsonNode info = info(layer);
        HeldImageFile image = layer.file();
        JsonNode specific = info.path("format-specific").path("data");
        if (layer.format() == ImageFormat.VMDK) {
            String createType = specific.path("create-type").asText("");
            if (!SINGLE_FILE_VMDK.contains(createType)) {
                throw refused(image + " is a vmdk of create type \"" + createType
                        + "\", whose data lives in separate extent files; "
                        + "only single-file vmdk (monolithicSparse, streamOptimized) is accepted");
            }
        }
        if (specific.hasNonNull("data-file")) {
            throw refused(image + " keeps its data in an external file ("
                    + specific.get("data-file").asText() + ")");
        }
        Optional<String> qemuBacking = Optional.ofNullable(info.get("backing-filename"))
                .filter(name -> !name.isNull())
                .map(JsonNode::asText);
        Optional<String> headerBacking = header.format() == layer.format() ? header.backingFile() : Optional.empty();
        if (!qemuBacking.equals(headerBacking)) {
            throw refused("qemu reads the backing file of " + image + " as " + qemuBacking.orElse("none")
                    + ", where its header says " + headerBacking.orElse("none")
                    + "; the image is refused rather than let qemu open a file the worker did not vet");
        }
    }

    private JsonNode info(DiskImage.Layer layer) {
        List<String> argv = List.of(
                "prlimit",
                "--as=" + MAX_ADDRESS_SPACE,
                "--cpu=" + MAX_CPU_SECONDS,
                "qemu-img",
                "info",
                "--output=json",
                DiskImage.qemuSpec(List.of(layer)));
        CommandResult result = runner.runAllowingFailure(argv);
        if (!result.succeeded()) {
            String error = result.stderr().strip();
            if (error.contains("lock") && error.contains("Is another process using the image")) {
                throw new InjectException(
                        ErrorCode.IMAGE_IN_USE,
                        layer.file() + " is in use by another process (qemu's image lock): " + error);
            }
            throw new InjectException(
                    ErrorCode.IMAGE_CORRUPT,
                    "qemu-img cannot read " + layer.file() + " as " + layer.format() + ": " + error);
        }
        try {
            return JSON.readTree(result.stdout());
        } catch (IOException e) {
            throw new InjectException(ErrorCode.TOOL_FAILED, "qemu-img info printed something that is not JSON", e);
        }
    }

    private static InjectException refused(String message) {
        return new InjectException(ErrorCode.UNSAFE_BACKING_FILE, message);
    }
}
