package io.imginject.worker.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.ImageFormat;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.CommandFailedException;
import io.imginject.worker.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Finds an image's format with {@code qemu-img info}, for requests that leave it out. qemu-img parses the
 * untrusted header, so it runs under {@code prlimit} with a memory and CPU cap, as nova does since
 * CVE-2015-5162 (a crafted qcow2 that makes qemu-img eat gigabytes).
 */
public final class FormatDetector {
    private static final JsonMapper JSON = new JsonMapper();
    private static final long MAX_ADDRESS_SPACE = 1L << 30;
    private static final int MAX_CPU_SECONDS = 30;

    private final ProcessRunner runner;

    public FormatDetector(ProcessRunner runner) {
        this.runner = runner;
    }

    public ImageFormat detect(Path image) {
        String json;
        try {
            json = runner.run("prlimit", "--as=" + MAX_ADDRESS_SPACE, "--cpu=" + MAX_CPU_SECONDS,
                    "qemu-img", "info", "--output=json", image.toString()).stdout();
        } catch (CommandFailedException e) {
            throw new InjectException(ErrorCode.IMAGE_CORRUPT, "qemu-img could not read the image to detect its format: "
                    + e.stderr().strip(), e);
        }
        String name;
        try {
            JsonNode info = JSON.readTree(json);
            name = info.path("format").asText("");
        } catch (IOException e) {
            throw new InjectException(ErrorCode.TOOL_FAILED, "qemu-img info printed something that is not JSON", e);
        }
        return ImageFormat.fromQemuName(name).orElseThrow(() -> new InjectException(ErrorCode.UNSUPPORTED_FORMAT,
                "the image is in format \"" + name + "\"; the worker opens " + ImageFormat.allNames()));
    }
}
