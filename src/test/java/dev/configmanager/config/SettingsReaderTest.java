package dev.configmanager.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("unit")
class SettingsReaderTest {

    @TempDir
    Path dir;

    @Test
    void signingIsOffUnlessAKeyFileOrGenerationIsNamed() throws Exception {
        assertFalse(SettingsReader.read(write("<config-manager/>")).signing().enabled());
        final SigningSettings generated = SettingsReader.read(
                        write("<config-manager><signing><generate>true</generate></signing></config-manager>"))
                .signing();
        assertTrue(generated.enabled());
        assertEquals(
                dir.resolve("data/config-manager/signing-key.pem").toAbsolutePath(),
                generated.resolveKeyFile(dir.resolve("data")));
        final SigningSettings file = SettingsReader.read(write(
                        "<config-manager><signing><private-key-file>/run/secrets/k.pem</private-key-file></signing>"
                                + "</config-manager>"))
                .signing();
        assertEquals(Path.of("/run/secrets/k.pem"), file.resolveKeyFile(dir.resolve("data")));
    }

    @Test
    void aHealthAliasIsOneLevelUnderTheHealthPrefixAndAnythingElseGrantsNothing() throws Exception {
        final HealthSettings health = SettingsReader.read(write("""
                        <config-manager><health>
                          <alias><client-id>tars-tts</client-id><topic>system/health/tts</topic></alias>
                          <alias><client-id>tars-router</client-id><topic>system/health/router</topic></alias>
                          <alias><client-id>wide</client-id><topic>system/health/#</topic></alias>
                          <alias><client-id>deep</client-id><topic>system/health/a/b</topic></alias>
                          <alias><client-id>outside</client-id><topic>config/updated/x</topic></alias>
                          <alias><client-id>again</client-id><topic>system/health/tts</topic></alias>
                          <alias><topic>system/health/nobody</topic></alias>
                        </health></config-manager>""")).health();
        assertEquals(Map.of("tars-tts", "system/health/tts", "tars-router", "system/health/router"), health.aliases());
        assertEquals(java.util.Optional.of("system/health/tts"), health.aliasTopic("tars-tts"));
        assertEquals(java.util.Optional.empty(), health.aliasTopic("tts"));
    }

    @Test
    void theTarsProfileSetsPyTarsTopicsSigningKeepaliveAndHealthAliasesOverTheShippedFile() throws Exception {
        final Path conf = Files.createDirectories(dir.resolve("conf/profiles"));
        Files.copy(Path.of("src/hivemq-extension/conf/profiles/tars.xml"), conf.resolve("tars.xml"));
        final Path shipped = dir.resolve("conf/config.xml");
        Files.writeString(
                shipped,
                Files.readString(Path.of("src/hivemq-extension/conf/config.xml"))
                        .replace("<profile>${ENV:CM_PROFILE}</profile>", "<profile>tars</profile>"));
        final ExtensionSettings s = SettingsReader.read(shipped);
        assertEquals("system/config", s.topics().updatedPrefix());
        assertEquals("config", s.topics().requestPrefix(), "the rest comes from config.xml");
        assertTrue(s.signing().enabled());
        assertEquals(java.time.Duration.ofSeconds(5), s.health().keepaliveInterval());
        assertEquals(
                Map.of("tars-tts", "system/health/tts", "tars-router", "system/health/router"),
                s.health().aliases());
        assertEquals(ExtensionSettings.defaults().access(), s.access());
        assertTrue(s.drift().clientsOf("router").test("tars-router"), "py-tars client ids are of their service");
        assertTrue(s.drift().clientsOf("router").test("router-1"));

        Files.writeString(
                shipped, Files.readString(shipped).replace("<profile>tars</profile>", "<profile>../x</profile>"));
        assertEquals("config/updated", SettingsReader.read(shipped).topics().updatedPrefix(), "not a profile name");
    }

    @Test
    void aLocalTokenIsAnAdminTokenKeptAsItsHashAndAShortOneIsRefused() throws Exception {
        final var tokens = SettingsReader.read(
                        write(
                                "<config-manager><console><local-token>0123456789abcdef-xyz</local-token></console></config-manager>"))
                .console()
                .tokens();
        assertEquals(
                List.of(new ConsoleSettings.Token(
                        "local",
                        ConsoleSettings.Role.ADMIN,
                        dev.configmanager.wire.CanonicalJson.sha256Hex("0123456789abcdef-xyz"))),
                tokens);
        assertEquals(
                List.of(),
                SettingsReader.read(
                                write(
                                        "<config-manager><console><local-token>tiny-token</local-token></console></config-manager>"))
                        .console()
                        .tokens());
        assertTrue(logged(Level.WARN, "local-token"), events.toString());
        assertFalse(events.toString().contains("tiny-token"), "the token itself is never logged");
    }

    @Test
    void driftClientPatternsNameAServicesClientsAndAServiceMayHaveItsOwn() throws Exception {
        final DriftSettings defaults =
                SettingsReader.read(write("<config-manager/>")).drift();
        assertTrue(defaults.clientsOf("router").test("router-1"));
        assertTrue(defaults.clientsOf("router").test("router.eu"));
        assertFalse(defaults.clientsOf("router").test("routerx"));
        final DriftSettings set = SettingsReader.read(write("""
                        <config-manager><drift>
                          <client-pattern>tars-{service}</client-pattern>
                          <service-clients><service>tts</service><client-pattern>speech-*</client-pattern></service-clients>
                          <service-clients><service>Not A Name</service><client-pattern>x</client-pattern></service-clients>
                          <max-clients-per-service>50</max-clients-per-service>
                        </drift></config-manager>""")).drift();
        assertTrue(set.clientsOf("router").test("tars-router"));
        assertFalse(set.clientsOf("router").test("router-1"), "the patterns set replace the default ones");
        assertTrue(set.clientsOf("tts").test("speech-2"));
        assertFalse(set.clientsOf("tts").test("tars-tts"), "a service's own patterns are used instead");
        assertEquals(1, set.serviceClients().size(), "an entry without a valid service name is ignored");
        assertEquals(50, set.maxClientsPerService());
    }

    @Test
    void missingFileMeansDefaults() {
        assertEquals(ExtensionSettings.defaults(), SettingsReader.read(dir.resolve("nope.xml")));
    }

    @Test
    void brokenFileMeansDefaultsExceptThatNoClientMayReadOrWriteConfigs() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("<config-manager><limits>"));
        assertEquals(new AccessSettings(false, List.of()), s.access(), "the file may have held the secure profile");
        assertEquals(ExtensionSettings.defaults().topics(), s.topics());
        assertEquals(ExtensionSettings.defaults().maxPayloadBytes(), s.maxPayloadBytes());
    }

    @Test
    void misspelledAccessDefaultFailsClosed() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager><access><default>denny</default>
                  <rule><username>admin</username><write>*</write><read>*</read></rule>
                </access></config-manager>"""));
        assertFalse(s.access().defaultAllow());
        assertEquals(1, s.access().rules().size(), "the rules that could be read still apply");
        assertTrue(logged(Level.ERROR, "access/default"), events.toString());
    }

    @Test
    void unknownElementInsideAccessDeniesEverything() throws Exception {
        // a rule that cannot be read as written must not be skipped: the next, wider rule would apply instead
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager><access><default>allow</default>
                  <rule><clientid>guest-*</clientid><read>public-*</read></rule>
                </access></config-manager>"""));
        assertEquals(new AccessSettings(false, List.of()), s.access());
        assertTrue(logged(Level.ERROR, "access/rule/clientid"), events.toString());
    }

    @Test
    void accessRulesThatCannotBeReadExactlyAsWrittenDenyEverything() throws Exception {
        for (final String rule : List.of(
                "<rule><client-id></client-id><write>*</write></rule>", // empty: would match every client
                "<rule client-id=\"admin\"><write>*</write></rule>", // attributes are not read
                "<rule><username>a</username><username>b</username><read>*</read></rule>",
                "<rule><client-id>x</client-id><client-id>y</client-id><read>*</read></rule>")) {
            final ExtensionSettings s = SettingsReader.read(write("<config-manager><access><default>allow</default>"
                    + rule + "<rule><client-id>*</client-id><read>*</read></rule></access></config-manager>"));
            assertEquals(new AccessSettings(false, List.of()), s.access(), rule);
        }
    }

    @Test
    void misspelledAccessElementDeniesEverything() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager><acess><default>deny</default></acess></config-manager>"""));
        assertEquals(new AccessSettings(false, List.of()), s.access());
        assertTrue(logged(Level.ERROR, "did you mean <access>"), events.toString());
    }

    @Test
    void misspelledUnknownServicePolicyFailsClosed() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager><schemas><unknown-service-policy>alow</unknown-service-policy></schemas>
                </config-manager>"""));
        assertEquals(ExtensionSettings.UnknownServicePolicy.REJECT, s.unknownServicePolicy());
    }

    @Test
    void unknownElementsAreReportedByNameWithTheClosestKnownOne() throws Exception {
        final ExtensionSettings s = SettingsReader.read(write("""
                <config-manager><limits><max-dpeth>4</max-dpeth></limits><colour>blue</colour></config-manager>"""));
        assertEquals(ExtensionSettings.DEFAULT_MAX_DEPTH, s.maxDepth());
        assertTrue(
                logged(Level.WARN, "unknown element <limits/max-dpeth>")
                        && logged(Level.WARN, "did you mean <limits/max-depth>?"),
                events.toString());
        assertTrue(logged(Level.WARN, "unknown element <colour>"), events.toString());
        assertTrue(s.access().defaultAllow(), "an unknown element outside <access> changes no security setting");
    }

    @Test
    void aSharedDatabaseIsReadWithItsPasswordKeptOutOfSight() throws Exception {
        final SharedDatabase db = SettingsReader.read(write("""
                        <config-manager><database><url>jdbc:postgresql://db:5432/cm</url><username>cm</username>
                        <password>s3cret-pw</password></database></config-manager>""")).sharedDatabase();
        assertEquals(new SharedDatabase("jdbc:postgresql://db:5432/cm", "cm", "s3cret-pw"), db);
        assertTrue(!db.toString().contains("s3cret-pw"), db.toString());
        assertEquals(
                "mqtt-eu-1", SettingsReader.read(write("""
                                <config-manager><database><url>jdbc:postgresql://db/cm</url>
                                <node-name>mqtt-eu-1</node-name></database></config-manager>""")).sharedDatabase().nodeName());
        assertEquals(
                null,
                SettingsReader.read(write("""
                                <config-manager><database><url>jdbc:postgresql://db/cm</url>
                                <node-name>bad name/with slash</node-name></database></config-manager>""")).sharedDatabase().nodeName(),
                "a name that cannot be shown or stored as it is falls back to the default");
        assertTrue(SettingsReader.read(write("""
                                <config-manager><database><url>jdbc:postgresql://db/cm</url>
                                <publisher>one</publisher></database></config-manager>""")).sharedDatabase().singlePublisher());
        assertFalse(db.singlePublisher(), "all brokers publish unless told otherwise");

        Files.writeString(dir.resolve("pw"), "from-file\n");
        assertEquals(
                "from-file",
                SettingsReader.read(write("""
                                <config-manager><database><url>jdbc:postgresql://db/cm</url><username>cm</username>
                                <password-file>%s</password-file></database></config-manager>""".formatted(dir.resolve("pw"))))
                        .sharedDatabase()
                        .password());
    }

    @Test
    void anUnsetEnvironmentVariableLeavesTheEmbeddedDatabase() throws Exception {
        assertEquals(null, SettingsReader.read(write("""
                                <config-manager><database><url>${ENV:CM_TEST_NOT_SET_ANYWHERE}</url></database>
                                </config-manager>""")).sharedDatabase());
        assertEquals(
                null,
                SettingsReader.read(Path.of("src/hivemq-extension/conf/config.xml"))
                        .sharedDatabase(),
                "the shipped file, without CM_DATABASE_URL");
    }

    @Test
    void clientIdBoundIsReadAndBounded() throws Exception {
        assertEquals(64, SettingsReader.read(write("""
                <config-manager><health><max-client-id-length>64</max-client-id-length></health></config-manager>""")).health().maxClientIdLength());
        assertEquals(
                HealthSettings.DEFAULT_MAX_CLIENT_ID_LENGTH,
                SettingsReader.read(write("""
                <config-manager><health><max-client-id-length>0</max-client-id-length></health></config-manager>""")).health().maxClientIdLength());
    }

    @Test
    void aSecretsKeyThatIsNotAKeyIsKeptSoTheStoreRefusesWritesInsteadOfUsingAnotherKey() throws Exception {
        assertEquals("not-a-key", SettingsReader.read(write("""
                <config-manager><secrets><key>not-a-key</key></secrets></config-manager>""")).secretsKey());
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
        assertEquals(
                ExtensionSettings.defaults(), SettingsReader.read(Path.of("src/hivemq-extension/conf/config.xml")));
        assertEquals(
                List.of(),
                events.list.stream().map(ILoggingEvent::getFormattedMessage).toList(),
                "every element of the shipped file is known");
    }

    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        events.start();
        for (final Class<?> c : List.of(SettingsReader.class, KnownElements.class)) {
            ((Logger) LoggerFactory.getLogger(c)).addAppender(events);
        }
    }

    @AfterEach
    void releaseLog() {
        for (final Class<?> c : List.of(SettingsReader.class, KnownElements.class)) {
            ((Logger) LoggerFactory.getLogger(c)).detachAppender(events);
        }
    }

    private boolean logged(final Level level, final String text) {
        return events.list.stream()
                .anyMatch(e -> e.getLevel() == level && e.getFormattedMessage().contains(text));
    }

    private Path write(final String xml) throws Exception {
        return Files.writeString(dir.resolve("config.xml"), xml);
    }
}
