package io.imginject.worker.item;

import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.ItemName;
import io.imginject.protocol.ItemResult;
import io.imginject.worker.failure.InjectException;
import io.imginject.worker.guest.GuestFs;
import io.imginject.worker.guest.GuestPath;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the request's files, each replaced atomically with its parents created. Every file is tried; the item
 * fails if any file did, naming each failure.
 */
public final class FilesItem implements InjectionItem {
    private final List<FileInjection> files;

    public FilesItem(List<FileInjection> files) {
        this.files = List.copyOf(files);
    }

    @Override
    public ItemName name() {
        return ItemName.FILES;
    }

    @Override
    public ItemResult apply(GuestFs guest) {
        List<InjectException> failures = new ArrayList<>();
        int unchanged = 0;
        for (FileInjection file : files) {
            try {
                if (!GuestFiles.replace(
                        guest,
                        GuestPath.of(file.path()),
                        file.content().reveal(),
                        file.mode(),
                        file.uid(),
                        file.gid())) {
                    unchanged++;
                }
            } catch (InjectException e) {
                failures.add(e);
            }
        }
        if (failures.isEmpty()) {
            return ItemResult.ok("wrote " + (files.size() - unchanged) + " of " + files.size() + " files"
                    + (unchanged == 0 ? "" : "; " + unchanged + " already held this content, mode and owner"));
        }
        ErrorCode code = failures.stream().map(InjectException::code).distinct().count() == 1
                ? failures.get(0).code()
                : ErrorCode.GUEST_IO_ERROR;
        String detail =
                String.join("; ", failures.stream().map(Throwable::getMessage).toList());
        throw new InjectException(
                code,
                (files.size() - failures.size()) + " of " + files.size() + " files written; " + failures.size()
                        + " failed: " + detail);
    }
}
