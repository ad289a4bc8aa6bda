package io.imginject.worker.oslo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** oslo.messaging's version rule: same major, requested minor no higher, and with equal minors no higher revision. */
@Tag("fast")
class VersionsTest {
    @ParameterizedTest(name = "an endpoint at {0} serves {1}: {2}")
    @CsvSource({
        "1.0, 1.0, true",
        "1.1, 1.0, true",
        "1.0, 1.1, false",
        "6.0, 1.0, false",
        "1.0, 2.0, false",
        "1.2.3, 1.2.3, true",
        "1.2.3, 1.2.4, false",
        "1.2, 1.1.9, true",
        "2.0, 2, true",
        "1.0, x.y, false",
        "1.0, '', false"
    })
    void follows_oslos_rule(String implemented, String requested, boolean compatible) {
        assertThat(Versions.isCompatible(implemented, requested)).isEqualTo(compatible);
    }
}
