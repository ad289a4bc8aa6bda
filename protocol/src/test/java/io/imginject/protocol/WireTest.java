package io.imginject.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The broker names the protocol fixes, and which worker host names fit them. */
@Tag("fast")
class WireTest {
    @Test
    void a_host_name_becomes_its_routing_key_and_queues() {
        assertThat(Wire.routingKey("compute-1.rack2")).isEqualTo("inject.compute-1.rack2");
        assertThat(Wire.queue("compute-1.rack2")).isEqualTo("imginject.compute-1.rack2");
        assertThat(Wire.unansweredQueue("compute-1.rack2")).isEqualTo("imginject-unanswered.compute-1.rack2");
        assertThat(Wire.problemWithHost("compute-1.rack2")).isEmpty();
    }

    @Test
    void a_host_name_with_routing_wildcards_is_refused() {
        assertThat(Wire.problemWithHost("compute.*"))
                .hasValueSatisfying(p -> assertThat(p).contains("'*' and '#' are not allowed"));
        assertThat(Wire.problemWithHost("#")).isPresent();
        assertThat(Wire.problemWithHost("")).isPresent();
    }

    @Test
    void a_host_whose_queue_would_be_the_dead_letter_or_parking_queue_is_refused() {
        assertThat(Wire.problemWithHost("dead"))
                .hasValue("host \"dead\" is reserved: its queue would be imginject.dead,"
                        + " where failed requests are kept");
        assertThat(Wire.problemWithHost("parking")).isPresent();
    }
}
