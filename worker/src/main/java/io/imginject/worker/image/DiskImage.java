package io.imginject.worker.image;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imginject.protocol.ImageFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An image the worker has located, vetted and holds open: the image file and, for an overlay, every file of its
 * backing chain, each with its format. Tools reach the files only through the held descriptors ({@link #toolPath()},
 * {@link #qemuSpec()}). Closing lets go of the files.
 */
public final class DiskImage implements AutoCloseable {
    private static final JsonMapper JSON = new JsonMapper();

    /** One file of the chain and the format it is read as. */
    public record Layer(HeldImageFile file, ImageFormat format) {}

    private final List<Layer> layers;

    /** @param layers the image first, then its backing file, that file's backing file and so on */
    public DiskImage(List<Layer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("an image has at least one file");
        }
        this.layers = List.copyOf(layers);
    }

    /** An image of a single file: no backing chain. */
    public static DiskImage of(HeldImageFile file, ImageFormat format) {
        return new DiskImage(List.of(new Layer(file, format)));
    }

    /** The image's real path, for messages. */
    public Path path() {
        return layers.get(0).file().path();
    }

    public ImageFormat format() {
        return layers.get(0).format();
    }

    /** The image file as the worker holds it open, for locks and reads in the worker itself. */
    public HeldImageFile file() {
        return layers.get(0).file();
    }

    /** Every file of the chain: the image first, then its backing files. */
    public List<HeldImageFile> files() {
        return layers.stream().map(Layer::file).toList();
    }

    /** The path to give a tool that reads the image file as it is (raw images: losetup, blkid). */
    public Path toolPath() {
        return file().toolPath();
    }

    /**
     * The whole chain as a qemu {@code json:} filename: every file by its held descriptor, every format stated, and
     * each backing file given explicitly, so qemu opens nothing by a name the image holds.
     */
    public String qemuSpec() {
        return qemuSpec(layers);
    }

    /** {@link #qemuSpec()} of a chain, or of one file without its backing chain. */
    static String qemuSpec(List<Layer> layers) {
        ObjectNode spec = null;
        for (int i = layers.size() - 1; i >= 0; i--) {
            ObjectNode layer =
                    JSON.createObjectNode().put("driver", layers.get(i).format().qemuName());
            layer.putObject("file")
                    .put("driver", "file")
                    .put("filename", layers.get(i).file().toolPath().toString());
            if (spec != null) {
                layer.set("backing", spec);
            }
            spec = layer;
        }
        return "json:" + spec;
    }

    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (Layer layer : layers) {
            try {
                layer.file().close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            failures.subList(1, failures.size()).forEach(failures.get(0)::addSuppressed);
            throw failures.get(0);
        }
    }

    @Override
    public String toString() {
        return path() + " (" + format() + ")";
    }
}
