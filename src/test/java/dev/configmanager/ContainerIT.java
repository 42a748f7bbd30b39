package dev.configmanager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.ExtensionZip;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.hivemq.HiveMQContainer;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built extension in the official {@code hivemq/hivemq-ce:2025.5} image. Runs where Docker is available; without
 * a Docker engine JUnit reports it skipped ("disabledWithoutDocker"), and the embedded-broker tests plus
 * {@link PackagedExtensionIT} cover the same behaviour.
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ContainerIT {

    @TempDir
    static Path dir;

    static HiveMQContainer hivemq;

    @BeforeAll
    static void start() throws Exception {
        ExtensionZip.unzipInto(dir);
        hivemq = new HiveMQContainer(DockerImageName.parse("hivemq/hivemq-ce").withTag("2025.5"))
                .withExtension(MountableFile.forHostPath(dir.resolve("config-manager")))
                .waitForExtension("Config Manager");
        hivemq.start();
    }

    @AfterAll
    static void stop() {
        if (hivemq != null) {
            hivemq.stop();
        }
    }

    @Test
    void setIsRetainedOnTheUpdatedTopic() throws Exception {
        final int port = hivemq.getMqttPort();
        try (Requester requester = new Requester(port, "container-it")) {
            assertTrue(requester
                    .send("set", "router", "{\"config\": {\"router_stream_min_chars\": 42}}")
                    .accepted());
        }
        final JsonNode updated = RetainedReader.receiveJson(port, "config/updated/router");
        assertEquals(42, updated.get("config").get("router_stream_min_chars").asInt());
    }
}
