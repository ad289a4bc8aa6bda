package io.imginject.worker.handler;

import static org.assertj.core.api.Assertions.assertThat;

import io.imginject.worker.disk.DiskRegion;
import io.imginject.worker.disk.FilesystemType;
import io.imginject.worker.disk.ProbedFilesystem;
import io.imginject.worker.guest.FstabEntry;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Which of a disk's filesystems a guest's fstab mounts where, besides its root. */
@Tag("fast")
class FstabMountsTest {
    static final FstabMounts.ProbedPartition BOOT = partition(1, "ext4", "b0b0-0001", "boot");
    static final FstabMounts.ProbedPartition ROOT = partition(2, "ext4", "7007-0002", "root");
    static final FstabMounts.ProbedPartition VAR = partition(3, "xfs", "a7a7-0003", "var");
    static final FstabMounts.ProbedPartition EFI = partition(4, "vfat", "EF00-0004", "EFI");
    static final FstabMounts.ProbedPartition SWAP = partition(5, "swap", "5555-0005", "");
    static final List<FstabMounts.ProbedPartition> DISK = List.of(BOOT, ROOT, VAR, EFI, SWAP);

    static FstabMounts.ProbedPartition partition(int number, String type, String uuid, String label) {
        return new FstabMounts.ProbedPartition(
                number,
                DiskRegion.partition(number, number * 1_048_576L, 1_048_576L),
                Optional.of(new ProbedFilesystem(
                        type, Optional.of(uuid), label.isEmpty() ? Optional.empty() : Optional.of(label))));
    }

    static List<FstabMounts.Planned> plan(String fstab) {
        return FstabMounts.plan(FstabEntry.parse(fstab), DISK, ROOT.region());
    }

    @Test
    void mounts_by_uuid_label_and_first_disk_device_name_in_path_order() {
        assertThat(plan("""
                UUID=7007-0002 / ext4 defaults 0 1
                /dev/vda3 /var/lib xfs defaults 0 2
                UUID=B0B0-0001 /boot auto defaults 0 2
                """))
                .containsExactly(
                        new FstabMounts.Planned("/boot", BOOT.region(), FilesystemType.EXT4),
                        new FstabMounts.Planned("/var/lib", VAR.region(), FilesystemType.XFS));
        assertThat(plan("LABEL=var /var xfs defaults 0 2\n/dev/disk/by-label/boot /boot ext4 defaults 0 2\n"))
                .extracting(FstabMounts.Planned::mountPoint)
                .containsExactly("/boot", "/var");
    }

    @Test
    void leaves_out_what_the_host_must_not_mount_or_the_guest_does_not_mount_at_boot() {
        assertThat(plan("""
                UUID=EF00-0004 /boot/efi vfat umask=0077 0 1
                UUID=5555-0005 none swap sw 0 0
                LABEL=boot /boot ext4 noauto 0 2
                /srv /export none bind 0 0
                server:/home /home nfs defaults 0 0
                /dev/mapper/vg-data /data ext4 defaults 0 2
                /dev/vdb1 /scratch ext4 defaults 0 2
                PARTUUID=0d8e-03 /var xfs defaults 0 2
                UUID=ffff-ffff /missing ext4 defaults 0 2
                """)).isEmpty();
    }

    @Test
    void never_mounts_the_root_or_one_filesystem_twice_or_two_on_one_mountpoint() {
        assertThat(plan("""
                LABEL=root /again ext4 defaults 0 2
                LABEL=boot /boot ext4 defaults 0 2
                /dev/sda1 /boot2 ext4 defaults 0 2
                LABEL=var /boot xfs defaults 0 2
                """)).containsExactly(new FstabMounts.Planned("/boot", BOOT.region(), FilesystemType.EXT4));
    }
}
