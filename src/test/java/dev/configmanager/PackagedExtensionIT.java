package dev.configmanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.configmanager.support.BrokerHome;
import dev.configmanager.support.ExtensionZip;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built zip, unzipped into {@code extensions/} and loaded by HiveMQ's real extension loader (isolated class
 * loader, service file, DISABLED handling). The extension's classes are not on this test's classpath.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PackagedExtensionIT {

    @TempDir
    static Path dir;

    static BrokerHome home;
    static EmbeddedHiveMQ hivemq;
    static int port;
    static int consolePort;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        home = new BrokerHome(dir, "127.0.0.1", port, false);
        ExtensionZip.unzipInto(home.extensions);
        try (ServerSocket s = new ServerSocket(0)) {
            consolePort = s.getLocalPort();
        }
        final Path config = home.extensions.resolve("config-manager/conf/config.xml");
        final String shipped = Files.readString(config);
        final String consoleSetting = "<port>${ENV:CM_CONSOLE_PORT}</port>";
        assertTrue(shipped.contains(consoleSetting), "the shipped console port setting");
        Files.writeString(config, shipped.replace(consoleSetting, "<port>" + consolePort + "</port>"));
        hivemq = home.withLoadedExtensions();
        hivemq.start().get(120, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        hivemq.stop().get(60, TimeUnit.SECONDS);
        hivemq.close();
    }

    @Test
    void zipHoldsTheShadedJarTheDescriptorAndTheDefaultConfig() throws Exception {
        final Path folder = home.extensions.resolve("config-manager");
        assertTrue(Files.isRegularFile(folder.resolve("hivemq-extension.xml")));
        assertTrue(Files.isRegularFile(folder.resolve("conf/config.xml")));
        assertTrue(Files.isRegularFile(folder.resolve("conf/schemas/tts-worker.json")));
        final Path jar;
        try (Stream<Path> files = Files.list(folder)) {
            jar = files.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        try (JarFile j = new JarFile(jar.toFile())) {
            assertTrue(j.getEntry("org/h2/Driver.class") != null, "H2 is bundled");
            assertTrue(j.getEntry("com/networknt/schema/JsonSchema.class") != null, "the validator is bundled");
            assertTrue(
                    j.getEntry("dev/configmanager/shaded/jetty/server/Server.class") != null
                            && j.stream().noneMatch(e -> e.getName().startsWith("org/eclipse/jetty/")),
                    "Jetty is bundled relocated, so it never meets another copy");
            assertTrue(
                    j.getEntry("dev/configmanager/shaded/prometheus/client/dropwizard/DropwizardExports.class") != null
                            && j.stream().noneMatch(e -> e.getName().startsWith("io/prometheus/")),
                    "the Prometheus client is bundled relocated too");
            assertTrue(
                    j.stream()
                            .noneMatch(e -> e.getName().startsWith("org/slf4j/")
                                    || e.getName().startsWith("ch/qos/logback/")
                                    || e.getName().startsWith("com/codahale/metrics/")
                                    || e.getName().startsWith("com/hivemq/extension/sdk/")),
                    "SDK and logging are never bundled");
        }
    }

    @Test
    void loadedExtensionIsEnabledAndAnswersARequest() throws Exception {
        assertFalse(Files.exists(home.extensions.resolve("config-manager/DISABLED")));
        assertTrue(
                Files.exists(home.data.resolve("config-manager/config-manager.mv.db")),
                "the database lives in the broker's data folder");
        try (Requester requester = new Requester(port, "packaged-it")) {
            final Requester.Reply reply = requester.send("set", "tts-worker", "{\"config\": {\"volume_percent\": 70}}");
            assertTrue(reply.accepted(), reply.envelope().toString());
            final Requester.Reply invalid =
                    requester.send("set", "tts-worker", "{\"config\": {\"volume_percent\": 700}}");
            assertEquals("schema_violation", invalid.errorCode(), "the shipped schemas are in use");
        }
        final JsonNode updated = RetainedReader.receiveJson(port, "config/updated/tts-worker");
        assertEquals(70, updated.get("config").get("volume_percent").asInt());
    }

    @Test
    void theConsoleAnswersFromTheIsolatedClassLoader() throws Exception {
        final var response = console("/api/status");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(
                Requester.parse(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .get("store_ok")
                        .asBoolean(),
                response.body());
        final String version = Requester.parse(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .get("version")
                .asText();
        assertTrue(
                System.getProperty("extension.zip").endsWith("-" + version + ".zip"),
                "the packaged extension names its own version: " + version);
    }

    private static java.net.http.HttpResponse<String> console(final String path) throws Exception {
        return java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://127.0.0.1:" + consolePort + path))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The bundled bridge reads HiveMQ's own registry (metrics-core from the broker, never bundled). */
    @Test
    void metricsAreServedFromTheBrokersRegistry() throws Exception {
        try (Requester requester = new Requester(port, "packaged-metrics")) {
            assertTrue(requester
                    .send("set", "metrics-probe", "{\"config\": {\"a\": 1}}")
                    .accepted());
        }
        final var response = console("/metrics");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\nconfigmanager_store_up 1.0\n"), response.body());
        assertTrue(response.body().contains("\nconfigmanager_requests_accepted "), response.body());
    }
}
