package dev.configmanager.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SettingsReaderTest {

    @TempDir
    Path dir;

    @Test
    void missingFileMeansDefaults() {
        assertEquals(ExtensionSettings.defaults(), SettingsReader.read(dir.resolve("nope.xml")));
    }

    @Test
    void brokenFileMeansDefaults() throws Exception {
        assertEquals(ExtensionSettings.defaults(), SettingsReader.read(write("<config-manager><limits>")));
    }

    @Test
    void valuesAreReadAndEachBadValueFallsBackOnItsOwn() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager>
                  <topics><request-prefix>fleet/config</request-prefix><updated-prefix>bad/#</updated-prefix></topics>
                  <limits><max-payload-bytes>4096</max-payload-bytes><max-depth>zero</max-depth></limits>
                  <requests><dedup-window-seconds>60</dedup-window-seconds><timeout-seconds>-4</timeout-seconds></requests>
                  <schemas><unknown-service-policy>REJECT</unknown-service-policy></schemas>
                  <database><path>/var/lib/cm/db</path></database>
                </config-manager>"""));
        assertEquals("fleet/config", s.topics().requestPrefix());
        assertEquals("config/updated", s.topics().updatedPrefix());
        assertEquals(4096, s.maxPayloadBytes());
        assertEquals(ExtensionSettings.DEFAULT_MAX_DEPTH, s.maxDepth());
        assertEquals(Duration.ofSeconds(60), s.dedupWindow());
        assertEquals(ExtensionSettings.DEFAULT_REQUEST_TIMEOUT, s.requestTimeout());
        assertEquals(ExtensionSettings.UnknownServicePolicy.REJECT, s.unknownServicePolicy());
        assertEquals(Path.of("/var/lib/cm/db"), s.resolveDatabase(Path.of("/data")));
    }

    @Test
    void prefixesThatOverlapTheRequestTopicsAreRefused() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager><topics><updated-prefix>config/set</updated-prefix></topics></config-manager>"""));
        assertEquals(TopicLayout.DEFAULT, s.topics());
    }

    @Test
    void theShippedConfigurationIsTheDefaults() {
        assertEquals(ExtensionSettings.defaults(), SettingsReader.read(Path.of("src/hivemq-extension/conf/config.xml")));
    }

    private Path write(final String xml) throws Exception {
        return Files.writeString(dir.resolve("config.xml"), xml);
    }
}
