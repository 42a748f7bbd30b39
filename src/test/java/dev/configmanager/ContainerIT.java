package dev.configmanager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.support.ExtensionZip;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image {@code docker/Dockerfile} builds, from the zip {@code mvn package} made, as an operator builds it: the
 * extension starts in the official {@code hivemq/hivemq-ce:2025.5}, answers a config request, and its console is
 * reachable through the published port. Runs where Docker is available; without a Docker engine JUnit reports it
 * skipped ("disabledWithoutDocker"), and the embedded-broker tests plus {@link PackagedExtensionIT} cover the same
 * behaviour.
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ContainerIT {

    static GenericContainer<?> broker;

    @BeforeAll
    static void start() {
        final Path zip = ExtensionZip.location();
        // the context the README's docker build sends (.dockerignore keeps only these): the Dockerfile and the zip
        final ImageFromDockerfile image = new ImageFromDockerfile("config-manager-it", true)
                .withFileFromPath("docker/Dockerfile", Path.of("docker/Dockerfile"))
                .withFileFromPath("target/" + zip.getFileName(), zip)
                .withDockerfilePath("docker/Dockerfile");
        broker = new GenericContainer<>(image)
                .withExposedPorts(1883, 8081)
                .waitingFor(Wait.forLogMessage(".*Started HiveMQ in.*", 1).withStartupTimeout(Duration.ofMinutes(3)));
        broker.start();
        assertTrue(broker.getLogs().contains(": started; config requests on"), "the extension started");
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.stop();
        }
    }

    @Test
    void setIsRetainedOnTheUpdatedTopic() throws Exception {
        final int port = broker.getMappedPort(1883);
        try (Requester requester = new Requester(port, "container-it")) {
            assertTrue(requester
                    .send("set", "router", "{\"config\": {\"router_stream_min_chars\": 42}}")
                    .accepted());
        }
        final JsonNode updated = RetainedReader.receiveJson(port, "config/updated/router");
        assertEquals(42, updated.get("config").get("router_stream_min_chars").asInt());
    }

    @Test
    void theConsoleIsReachableThroughThePublishedPort() throws Exception {
        final HttpResponse<String> status = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + broker.getMappedPort(8081) + "/api/status"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, status.statusCode(), status.body());
        assertTrue(status.body().contains("\"store_ok\":true"), status.body());
    }
}
