package io.imginject.worker.disk;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Finds which filesystem a region of a raw disk holds, with blkid's low-level probe on the file itself. */
public final class FilesystemProbe {
    private static final int NOTHING_FOUND = 2;
    private static final int AMBIVALENT = 8;
    /** blkid's export format escapes characters a shell would take apart with a backslash. */
    private static final Pattern SHELL_ESCAPE = Pattern.compile("\\\\(.)");

    private final ProcessRunner runner;

    public FilesystemProbe(ProcessRunner runner) {
        this.runner = runner;
    }

    /** What blkid calls the filesystem in {@code region} ("ext4", "vfat", ...), or empty if it finds none. */
    public Optional<String> typeName(Path disk, DiskRegion region) {
        return probe(disk, region).map(ProbedFilesystem::type);
    }

    /** The filesystem in {@code region}, with its UUID and label, or empty if blkid finds none. */
    public Optional<ProbedFilesystem> probe(Path disk, DiskRegion region) {
        CommandResult result = runner.runAllowingFailure(List.of(
                "blkid",
                "-p",
                "-o",
                "export",
                "-u",
                "filesystem",
                "-O",
                Long.toString(region.offset()),
                "-S",
                Long.toString(region.size()),
                disk.toString()));
        if (result.exitCode() == NOTHING_FOUND) {
            return Optional.empty();
        }
        if (result.exitCode() == AMBIVALENT) {
            throw new InjectException(
                    ErrorCode.UNSUPPORTED_FILESYSTEM,
                    region + " carries signatures of more than one "
                            + "filesystem; refusing to guess which one to mount");
        }
        if (!result.succeeded()) {
            throw new InjectException(
                    ErrorCode.TOOL_FAILED,
                    "blkid could not probe " + region + ": " + result.stderr().strip());
        }
        Map<String, String> values = new HashMap<>();
        for (String line : result.stdout().lines().toList()) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                values.put(
                        line.substring(0, equals),
                        SHELL_ESCAPE.matcher(line.substring(equals + 1)).replaceAll("$1"));
            }
        }
        return Optional.ofNullable(values.get("TYPE"))
                .map(type -> new ProbedFilesystem(
                        type, Optional.ofNullable(values.get("UUID")), Optional.ofNullable(values.get("LABEL"))));
    }
}
