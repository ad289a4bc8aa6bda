package io.imginject.worker.disk;

import io.imginject.protocol.ErrorCode;
import io.imginject.worker.InjectException;
import io.imginject.worker.host.CommandResult;
import io.imginject.worker.host.ProcessRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Finds which filesystem a region of a raw disk holds, with blkid's low-level probe on the file itself. */
public final class FilesystemProbe {
    private static final int NOTHING_FOUND = 2;
    private static final int AMBIVALENT = 8;

    private final ProcessRunner runner;

    public FilesystemProbe(ProcessRunner runner) {
        this.runner = runner;
    }

    /** What blkid calls the filesystem in {@code region} ("ext4", "vfat", ...), or empty if it finds none. */
    public Optional<String> typeName(Path disk, DiskRegion region) {
        CommandResult result = runner.runAllowingFailure(List.of("blkid", "-p", "-o", "export", "-u", "filesystem",
                "-O", Long.toString(region.offset()), "-S", Long.toString(region.size()), disk.toString()));
        if (result.exitCode() == NOTHING_FOUND) {
            return Optional.empty();
        }
        if (result.exitCode() == AMBIVALENT) {
            throw new InjectException(ErrorCode.UNSUPPORTED_FILESYSTEM, region + " carries signatures of more than one "
                    + "filesystem; refusing to guess which one to mount");
        }
        if (!result.succeeded()) {
            throw new InjectException(ErrorCode.TOOL_FAILED, "blkid could not probe " + region + ": " + result.stderr().strip());
        }
        return result.stdout().lines()
                .filter(line -> line.startsWith("TYPE="))
                .map(line -> line.substring("TYPE=".length()))
                .findFirst();
    }
}
