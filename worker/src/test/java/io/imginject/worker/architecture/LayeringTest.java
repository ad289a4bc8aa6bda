package io.imginject.worker.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The worker's packages form the layers ARCHITECTURE.md draws: each uses only the ones below it, and no group of
 * packages depends on itself in a circle. Read from the compiled main classes, so a test class may cross layers.
 */
@Tag("fast")
class LayeringTest {
    static final String WORKER = "io.imginject.worker";

    /** Top to bottom; packages on one level may not use each other. */
    static final List<List<String>> LEVELS = List.of(
            List.of("cli"),
            List.of("wiring"),
            List.of("dlq", "status"),
            List.of("v1", "oslo"),
            List.of("pipeline"),
            List.of("deadletter"),
            List.of("broker"),
            List.of("job"),
            List.of("chain"),
            List.of("item"),
            List.of("handler"),
            List.of("image"),
            List.of("guest"),
            List.of("disk"),
            List.of("host"),
            List.of("failure", "metrics"));

    static final JavaClasses WORKER_CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(WORKER);

    @Test
    void every_package_uses_only_the_layers_below_it() {
        layers().check(WORKER_CLASSES);
    }

    @Test
    void no_packages_depend_on_each_other_in_a_cycle() {
        slices().matching(WORKER + ".(**)").should().beFreeOfCycles().check(WORKER_CLASSES);
    }

    static LayeredArchitecture layers() {
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (List<String> level : LEVELS) {
            for (String layer : level) {
                layers = layers.layer(layer).definedBy(layer.equals("wiring") ? WORKER : WORKER + "." + layer + "..");
            }
        }
        for (int i = 0; i < LEVELS.size(); i++) {
            List<String> below = new ArrayList<>();
            LEVELS.subList(i + 1, LEVELS.size()).forEach(below::addAll);
            for (String layer : LEVELS.get(i)) {
                layers = below.isEmpty()
                        ? layers.whereLayer(layer).mayNotAccessAnyLayer()
                        : layers.whereLayer(layer).mayOnlyAccessLayers(below.toArray(String[]::new));
            }
        }
        return layers;
    }
}
