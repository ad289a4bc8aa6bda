package io.imginject.worker.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A journal line reads back to the held resource it was written for, and that resource writes the very same line:
 * every kind of resource, and the worker's other lines, survive the round trip. Journals a previous version wrote
 * read the same.
 */
class JournalLineTest {

    /** A line of every kind of held resource, as the journal holds it. */
    static Stream<String> acquireLines() {
        return Stream.of(
                "{\"op\":\"acquire\",\"id\":1,\"kind\":\"DIRECTORY\",\"fields\":{\"path\":\"/run/imginject/work/mnt-0a1b\"}}",
                "{\"op\":\"acquire\",\"id\":2,\"kind\":\"LOOP\",\"fields\":{\"file\":\"/images/disk 1.img\",\"offset\":\"1048576\",\"size\":\"4194304\"}}",
                "{\"op\":\"acquire\",\"id\":3,\"kind\":\"MOUNT\",\"fields\":{\"path\":\"/run/imginject/work/mnt-0a1b\"}}",
                "{\"op\":\"acquire\",\"id\":4,\"kind\":\"HELPERS\",\"fields\":{\"path\":\"/run/imginject/work/nbd-2c3d\"}}",
                "{\"op\":\"acquire\",\"id\":5,\"kind\":\"FUSE\",\"fields\":{\"path\":\"/run/imginject/work/nbd-2c3d/export\"}}",
                "{\"op\":\"acquire\",\"id\":6,\"kind\":\"NBD\",\"fields\":{\"device\":\"/dev/nbd3\"}}",
                "{\"op\":\"acquire\",\"id\":7,\"kind\":\"DEVICE_GRANT\",\"fields\":{\"device\":\"/dev/loop5\",\"uid\":\"0\",\"gid\":\"6\",\"mode\":\"432\"}}");
    }

    @ParameterizedTest
    @MethodSource("acquireLines")
    void a_held_resource_reads_back_from_its_line_and_writes_the_same_line(String line) throws Exception {
        JournalLine read = JournalLine.parse(line).orElseThrow();

        assertThat(read).isInstanceOf(JournalLine.Acquired.class);
        assertThat(read.text()).isEqualTo(line);
    }

    @Test
    void every_kind_of_held_resource_has_a_line_in_the_round_trip() throws Exception {
        List<Class<?>> read = acquireLines()
                .map(JournalLineTest::resourceOf)
                .<Class<?>>map(Object::getClass)
                .toList();

        assertThat(read).containsExactlyInAnyOrder(HeldResource.class.getPermittedSubclasses());
        assertThat(acquireLines().map(JournalLineTest::resourceOf).map(HeldResource::kind))
                .containsExactlyInAnyOrder(HeldResource.Kind.values());
    }

    @Test
    void each_line_names_the_resource_it_was_written_for() throws Exception {
        assertThat(acquireLines().map(JournalLineTest::resourceOf))
                .containsExactly(
                        new WorkDirectory(Path.of("/run/imginject/work/mnt-0a1b")),
                        new LoopDevice(Path.of("/images/disk 1.img"), 1_048_576, 4_194_304),
                        new Mount(Path.of("/run/imginject/work/mnt-0a1b")),
                        new HelperProcesses(Path.of("/run/imginject/work/nbd-2c3d")),
                        new FuseExport(Path.of("/run/imginject/work/nbd-2c3d/export")),
                        new NbdConnection(Path.of("/dev/nbd3")),
                        new DeviceGrant(Path.of("/dev/loop5"), 0, 6, 0660));
    }

    @Test
    void the_owner_and_release_lines_survive_the_round_trip() throws Exception {
        String owner = "{\"op\":\"owner\",\"mark\":\"4242-9f8e\"}";
        String release = "{\"op\":\"release\",\"id\":7}";

        assertThat(JournalLine.parse(owner)).contains(new JournalLine.Owner("4242-9f8e"));
        assertThat(JournalLine.parse(release)).contains(new JournalLine.Released(7));
        assertThat(JournalLine.parse(owner).orElseThrow().text()).isEqualTo(owner);
        assertThat(JournalLine.parse(release).orElseThrow().text()).isEqualTo(release);
    }

    @Test
    void a_line_of_the_previous_version_with_its_fields_in_another_order_reads_the_same() throws Exception {
        String previous =
                "{\"op\":\"acquire\",\"id\":2,\"kind\":\"LOOP\",\"fields\":{\"size\":\"4194304\",\"offset\":\"1048576\",\"file\":\"/images/a.img\"}}";

        assertThat(JournalLine.parse(previous))
                .contains(new JournalLine.Acquired(2, new LoopDevice(Path.of("/images/a.img"), 1_048_576, 4_194_304)));
    }

    @Test
    void a_line_torn_by_a_dying_worker_reads_as_nothing() throws Exception {
        assertThat(JournalLine.parse("{\"op\":\"acquire\",\"id\":3,\"kind\":\"MOU"))
                .isEmpty();
    }

    @Test
    void a_whole_line_this_version_cannot_release_is_unreadable() {
        assertThatThrownBy(() -> JournalLine.parse(
                        "{\"op\":\"acquire\",\"id\":1,\"kind\":\"FUSE2FS\",\"fields\":{\"path\":\"/x\"}}"))
                .isInstanceOf(UnreadableJournalException.class)
                .hasMessageContaining("FUSE2FS");
        assertThatThrownBy(
                        () -> JournalLine.parse(
                                "{\"op\":\"acquire\",\"id\":1,\"kind\":\"LOOP\",\"fields\":{\"file\":\"/x\",\"offset\":\"0\"}}"))
                .isInstanceOf(UnreadableJournalException.class)
                .hasMessageContaining("size");
        assertThatThrownBy(() -> JournalLine.parse("{\"op\":\"forget\",\"id\":1}"))
                .isInstanceOf(UnreadableJournalException.class)
                .hasMessageContaining("forget");
    }

    static HeldResource resourceOf(String line) {
        try {
            return ((JournalLine.Acquired) JournalLine.parse(line).orElseThrow()).resource();
        } catch (UnreadableJournalException e) {
            throw new AssertionError(e);
        }
    }
}
