package dev.configmanager;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering the README's Layout section states, checked on the compiled classes: every arrow points down, from the
 * wiring at the top to the payload records at the bottom, and no two packages need each other.
 */
@Tag("unit")
class LayeringTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.configmanager");

    @Test
    void everyPackageDependsOnlyOnPackagesBelowIt() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("wiring")
                .definedBy("dev.configmanager")
                .layer("console")
                .definedBy("dev.configmanager.console..")
                .layer("drift")
                .definedBy("dev.configmanager.drift..")
                .layer("backup")
                .definedBy("dev.configmanager.backup..")
                .layer("health")
                .definedBy("dev.configmanager.health..")
                .layer("mqtt")
                .definedBy("dev.configmanager.mqtt..")
                .layer("security")
                .definedBy("dev.configmanager.security..")
                .layer("pipeline")
                .definedBy("dev.configmanager.pipeline..")
                .layer("store")
                .definedBy("dev.configmanager.store..")
                .layer("config")
                .definedBy("dev.configmanager.config..")
                .layer("foundation")
                .definedBy("dev.configmanager.wire..", "dev.configmanager.concurrent..")
                .whereLayer("wiring")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("console")
                .mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("drift")
                .mayOnlyBeAccessedByLayers("wiring", "console")
                .whereLayer("backup")
                .mayOnlyBeAccessedByLayers("wiring", "console")
                .whereLayer("health")
                .mayOnlyBeAccessedByLayers("wiring", "console", "drift", "backup")
                .whereLayer("mqtt")
                .mayOnlyBeAccessedByLayers("wiring", "console", "drift", "backup", "health")
                .whereLayer("security")
                .mayOnlyBeAccessedByLayers("wiring", "console", "drift", "backup", "health", "mqtt")
                .whereLayer("pipeline")
                .mayOnlyBeAccessedByLayers("wiring", "console", "drift", "backup", "health", "mqtt", "security")
                .whereLayer("store")
                .mayOnlyBeAccessedByLayers(
                        "wiring", "console", "drift", "backup", "health", "mqtt", "security", "pipeline")
                .whereLayer("config")
                .mayOnlyBeAccessedByLayers(
                        "wiring", "console", "drift", "backup", "health", "mqtt", "security", "pipeline", "store")
                .check(MAIN);
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        slices().matching("dev.configmanager.(*)..").should().beFreeOfCycles().check(MAIN);
    }
}
