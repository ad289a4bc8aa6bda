package io.imginject.protocol;

/**
 * Which filesystem of the image to inject into. On the wire: {@code null} or {@code 0} is the whole disk,
 * {@code N > 0} is partition N, {@code -1} (the default) asks the worker to find the guest's root filesystem.
 */
public sealed interface PartitionSelector {

    /** The number this selector has on the wire. */
    int wireValue();

    /** The image holds one filesystem and no partition table. */
    record WholeDisk() implements PartitionSelector {
        @Override
        public int wireValue() {
            return 0;
        }

        @Override
        public String toString() {
            return "whole disk";
        }
    }

    /** Partition {@code number} (1-based, as in /dev/sda1) of the MBR or GPT table. */
    record Numbered(int number) implements PartitionSelector {
        public Numbered {
            if (number < 1) {
                throw new IllegalArgumentException("partition numbers start at 1, got " + number);
            }
        }

        @Override
        public int wireValue() {
            return number;
        }

        @Override
        public String toString() {
            return "partition " + number;
        }
    }

    /** Whichever single filesystem holds an operating system root. */
    record FindRoot() implements PartitionSelector {
        @Override
        public int wireValue() {
            return -1;
        }

        @Override
        public String toString() {
            return "the guest's root filesystem";
        }
    }

    static PartitionSelector fromWireValue(int value) {
        if (value == -1) {
            return new FindRoot();
        }
        if (value == 0) {
            return new WholeDisk();
        }
        return new Numbered(value);
    }
}
