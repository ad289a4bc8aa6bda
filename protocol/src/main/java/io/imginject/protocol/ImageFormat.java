package io.imginject.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** Disk image formats, named as qemu names them ({@code qemu-img info} and {@code --format}). */
public enum ImageFormat {
    RAW,
    QCOW2,
    VMDK,
    VDI,
    VHDX,
    QED,
    VPC;

    /** The name qemu tools use, e.g. {@code qcow2}. */
    public String qemuName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ImageFormat> fromQemuName(String name) {
        return Arrays.stream(values()).filter(f -> f.qemuName().equals(name)).findFirst();
    }

    /** All names, for messages: "raw, qcow2, ...". */
    public static String allNames() {
        return Arrays.stream(values()).map(ImageFormat::qemuName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return qemuName();
    }
}
