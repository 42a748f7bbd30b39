package dev.configmanager.config;

import dev.configmanager.config.ExtensionSettings.UnknownServicePolicy;
import dev.configmanager.wire.CanonicalJson;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;

/**
 * Reads {@code conf/config.xml}. A missing or broken file, or a bad value, never stops the broker: each problem is
 * logged once at WARN naming the key, the bad value and the default used instead.
 */
public final class SettingsReader {

    static final String ROOT = "config-manager";
    /** The shortest {@code <console><local-token>} taken (an admin token: long enough not to be guessed). */
    static final int MIN_LOCAL_TOKEN_CHARS = 16;

    private static final Logger log = LoggerFactory.getLogger(SettingsReader.class);

    private SettingsReader() {}

    public static ExtensionSettings read(final Path file) {
        final var defaults = ExtensionSettings.defaults();
        if (!Files.isRegularFile(file)) {
            log.warn("config-manager: no configuration at {}, using defaults", file);
            return defaults;
        }
        final Element root;
        try {
            root = parse(file);
        } catch (final Exception e) {
            return unreadable(defaults, file + " could not be read (" + e.getMessage() + ")");
        }
        if (!ROOT.equals(root.getTagName())) {
            return unreadable(defaults, file + " has root <" + root.getTagName() + "> instead of <" + ROOT + ">");
        }
        final Element profile = profile(root, file);
        final var r = new XmlValues(root, profile);
        final boolean accessReadable =
                KnownElements.report(root, file) && (profile == null || KnownElements.report(profile, file));
        final var topics = readTopics(r, defaults.topics());
        return new ExtensionSettings(
                topics,
                r.integer(
                        "limits/max-payload-bytes",
                        defaults.maxPayloadBytes(),
                        1,
                        ExtensionSettings.MAX_PAYLOAD_BYTES_CEILING),
                r.integer("limits/max-depth", defaults.maxDepth(), 1, 128),
                Duration.ofSeconds(r.integer(
                        "requests/dedup-window-seconds",
                        (int) defaults.dedupWindow().toSeconds(),
                        0,
                        86_400)),
                r.integer("requests/dedup-max-entries", defaults.dedupMaxEntries(), 0, 10_000_000),
                Duration.ofSeconds(r.integer(
                        "requests/timeout-seconds",
                        (int) defaults.requestTimeout().toSeconds(),
                        1,
                        600)),
                r.text("schemas/folder", defaults.schemaFolder(), s -> s.isBlank() ? null : s),
                r.security(
                        "schemas/unknown-service-policy",
                        defaults.unknownServicePolicy(),
                        UnknownServicePolicy.REJECT,
                        SettingsReader::policy),
                r.text("database/path", defaults.databasePath(), s -> s.isBlank() ? null : s),
                r.integer("database/audit-max-rows", defaults.auditMaxRows(), 1_000, Integer.MAX_VALUE),
                readHealth(r, defaults.health(), topics),
                accessReadable ? readAccess(r) : denyAll("<access> has elements that cannot be read (see above)"),
                // any non-blank key is kept: one that is not base64 of 32 bytes makes the store read-only at start,
                // never falls back to another key
                r.text("secrets/key", null, s -> s.isBlank() ? null : s),
                r.text("secrets/key-file", defaults.secretsKeyFile(), s -> s.isBlank() ? null : s),
                readConsole(r, defaults.console()),
                SharedDatabase.read(r),
                SigningSettings.read(r),
                DriftSettings.read(r, defaults.drift()));
    }

    /** {@code 7d}, {@code 12h}, {@code 30m}, {@code 45s} or plain seconds; {@code 0} is never. */
    private static @Nullable Duration age(final String value) {
        final var m = java.util.regex.Pattern.compile("(\\d{1,9})\\s*([dhms]?)").matcher(value.strip());
        if (!m.matches()) {
            return null;
        }
        final long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** What a profile name may be: it names a file next to config.xml. */
    private static final java.util.regex.Pattern PROFILE_NAME = java.util.regex.Pattern.compile("[a-z0-9-]{1,64}");

    /**
     * {@code <profile>NAME</profile>}: the settings of {@code conf/profiles/NAME.xml} (a file in config.xml's own
     * shape), which win over the same elements in config.xml; the rest comes from config.xml. One line turns on a
     * whole set of settings (the TARS profile: py-tars's topics, signing, keepalive and health topics). A profile that
     * cannot be read is named in the log and not applied.
     */
    private static @Nullable Element profile(final Element root, final Path file) {
        final String name = new XmlValues(root).optional("profile");
        if (name == null) {
            return null;
        }
        if (!PROFILE_NAME.matcher(name).matches()) {
            log.error("config-manager: <profile> must be a name of lower-case letters, digits and dashes; not applied");
            return null;
        }
        final Path profileFile =
                file.toAbsolutePath().getParent().resolve("profiles").resolve(name + ".xml");
        try {
            final Element profile = parse(profileFile);
            if (!ROOT.equals(profile.getTagName())) {
                log.error(
                        "config-manager: profile {} has root <{}> instead of <{}>; not applied",
                        profileFile,
                        profile.getTagName(),
                        ROOT);
                return null;
            }
            log.info("config-manager: settings of profile '{}' ({}) apply over config.xml", name, profileFile);
            return profile;
        } catch (final Exception e) {
            log.error("config-manager: profile {} cannot be read ({}); not applied", profileFile, e.getMessage());
            return null;
        }
    }

    private static Element parse(final Path file) throws Exception {
        final var factory = DocumentBuilderFactory.newInstance();
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setExpandEntityReferences(false);
        return factory.newDocumentBuilder().parse(file.toFile()).getDocumentElement();
    }

    /**
     * A file that exists but cannot be read may hold the secure profile: everything else takes its defaults, but no
     * client may read or write configs over MQTT until it is fixed.
     */
    private static ExtensionSettings unreadable(final ExtensionSettings defaults, final String problem) {
        return defaults.withAccess(denyAll(problem));
    }

    private static AccessSettings denyAll(final String problem) {
        log.error(
                "config-manager: {}: the access rules cannot be read, so they fail closed: no client may read or "
                        + "write configs over MQTT until the configuration is fixed and the broker restarted",
                problem);
        return new AccessSettings(false, List.of());
    }

    private static ConsoleSettings readConsole(final XmlValues r, final ConsoleSettings defaults) {
        final List<ConsoleSettings.Token> tokens = new ArrayList<>();
        for (final XmlValues token : r.elements("console/token")) {
            final List<String> names = token.texts("name");
            final List<String> roles = token.texts("role");
            final List<String> hashes = token.texts("sha256");
            final ConsoleSettings.Role role = roles.isEmpty() ? null : ConsoleSettings.Role.parse(roles.get(0));
            final String hash = hashes.isEmpty() ? "" : hashes.get(0).toLowerCase(Locale.ROOT);
            if (names.isEmpty() || role == null || !hash.matches("[0-9a-f]{64}")) {
                log.warn("config-manager: ignoring a console <token> that lacks <name>, a <role> of read, write or "
                        + "admin, or a 64-hex <sha256> (printf %s TOKEN | sha256sum)");
                continue;
            }
            tokens.add(new ConsoleSettings.Token(names.get(0), role, hash));
        }
        // for one person on their own machine: CM_CONSOLE_TOKEN=… mvn -Prun, no hashing by hand
        final String local = r.text("console/local-token", "", value -> value);
        if (local.length() >= MIN_LOCAL_TOKEN_CHARS) {
            tokens.add(new ConsoleSettings.Token("local", ConsoleSettings.Role.ADMIN, CanonicalJson.sha256Hex(local)));
        } else if (!local.isEmpty()) {
            log.warn(
                    "config-manager: ignoring <console><local-token>: shorter than {} characters, it could be guessed",
                    MIN_LOCAL_TOKEN_CHARS);
        }
        return new ConsoleSettings(
                r.text(
                        "console/enabled",
                        defaults.enabled(),
                        s -> s.equalsIgnoreCase("true")
                                ? Boolean.TRUE
                                : s.equalsIgnoreCase("false") ? Boolean.FALSE : null),
                r.text("console/bind", defaults.bind(), s -> s.isBlank() ? null : s),
                r.integer("console/port", defaults.port(), 0, 65_535),
                r.texts("console/host"),
                tokens);
    }

    private static AccessSettings readAccess(final XmlValues r) {
        final boolean defaultAllow = r.security(
                "access/default",
                Boolean.TRUE,
                Boolean.FALSE,
                s -> s.equalsIgnoreCase("allow") ? Boolean.TRUE : s.equalsIgnoreCase("deny") ? Boolean.FALSE : null);
        final List<AccessSettings.Rule> rules = new ArrayList<>();
        for (final XmlValues rule : r.elements("access/rule")) {
            final List<String> clientIds = rule.texts("client-id");
            final List<String> usernames = rule.texts("username");
            rules.add(new AccessSettings.Rule(
                    clientIds.isEmpty() ? "*" : clientIds.get(0),
                    usernames.isEmpty() ? null : usernames.get(0),
                    rule.texts("write"),
                    rule.texts("read")));
        }
        if (!defaultAllow && rules.isEmpty()) {
            log.warn("config-manager: <access> denies by default and has no rules: no client may write or read "
                    + "configs over MQTT");
        }
        return new AccessSettings(defaultAllow, rules);
    }

    private static HealthSettings readHealth(
            final XmlValues r, final HealthSettings defaults, final TopicLayout topics) {
        final String health = r.text("health/health-prefix", defaults.healthPrefix(), SettingsReader::prefix);
        final String keepalive = r.text("health/keepalive-prefix", defaults.keepalivePrefix(), SettingsReader::prefix);
        final List<String> include = r.texts("health/tracked-clients/include");
        final List<String> exclude = r.texts("health/tracked-clients/exclude");
        final var candidate = new HealthSettings(
                health,
                keepalive,
                r.text("health/keepalive-interval", defaults.keepaliveInterval(), SettingsReader::interval),
                r.integer("health/max-client-id-length", defaults.maxClientIdLength(), 1, 65_535),
                include.isEmpty() ? defaults.include() : include,
                exclude,
                r.text("health/forget-after", defaults.forgetAfter(), SettingsReader::age),
                Map.of());
        for (final String prefix : new String[] {health, keepalive}) {
            final String other = prefix.equals(health) ? keepalive : health;
            if (overlap(prefix, topics.requestPrefix())
                    || overlap(prefix, topics.updatedPrefix())
                    || overlap(prefix, topics.resultPrefix())
                    || overlap(prefix, other)) {
                log.warn(
                        "config-manager: health topic prefix '{}' overlaps another topic family, using the default "
                                + "health topics",
                        prefix);
                return new HealthSettings(
                        defaults.healthPrefix(),
                        defaults.keepalivePrefix(),
                        candidate.keepaliveInterval(),
                        candidate.maxClientIdLength(),
                        candidate.include(),
                        candidate.exclude(),
                        candidate.forgetAfter(),
                        Map.of());
            }
        }
        return new HealthSettings(
                candidate.healthPrefix(),
                candidate.keepalivePrefix(),
                candidate.keepaliveInterval(),
                candidate.maxClientIdLength(),
                candidate.include(),
                candidate.exclude(),
                candidate.forgetAfter(),
                readAliases(r, candidate.healthPrefix()));
    }

    /**
     * {@code <alias><client-id>…</client-id><topic>…</topic></alias>}: each topic one level under the health prefix
     * (where the extension guards it), not a wildcard, one per client and client per topic. Anything else is ignored
     * with a warning: an alias is permission to publish, and what cannot be read exactly grants nothing.
     */
    private static Map<String, String> readAliases(final XmlValues r, final String healthPrefix) {
        final Map<String, String> aliases = new java.util.LinkedHashMap<>();
        for (final XmlValues alias : r.elements("health/alias")) {
            final List<String> clients = alias.texts("client-id");
            final List<String> topics = alias.texts("topic");
            final String client = clients.size() == 1 ? clients.get(0).strip() : "";
            final String topic = topics.size() == 1 ? topics.get(0).strip() : "";
            final String level = topic.startsWith(healthPrefix + "/") ? topic.substring(healthPrefix.length() + 1) : "";
            if (client.isEmpty()
                    || client.length() > 256
                    || level.isEmpty()
                    || level.contains("/")
                    || level.contains("+")
                    || level.contains("#")
                    || level.codePoints().anyMatch(Character::isISOControl)
                    || aliases.containsKey(client)
                    || aliases.containsValue(topic)) {
                log.warn(
                        "config-manager: ignoring a <health><alias> that lacks one <client-id> and one <topic> one "
                                + "level under {}/ (no wildcards), or repeats a client or topic",
                        healthPrefix);
                continue;
            }
            aliases.put(client, topic);
        }
        return aliases;
    }

    /** One prefix is the other or lies inside it: their topics would be read as both families. */
    private static boolean overlap(final String a, final String b) {
        return TopicLayout.isUnder(a, b) || TopicLayout.isUnder(b, a);
    }

    /** {@code 10s}, {@code 500ms} or plain seconds; at least {@link HealthSettings#MIN_KEEPALIVE_INTERVAL}. */
    private static Duration interval(final String value) {
        try {
            final Duration d = value.endsWith("ms")
                    ? Duration.ofMillis(Long.parseLong(
                            value.substring(0, value.length() - 2).trim()))
                    : Duration.ofMillis(Math.round(Double.parseDouble(
                                    value.endsWith("s")
                                            ? value.substring(0, value.length() - 1)
                                                    .trim()
                                            : value)
                            * 1000));
            return d.compareTo(HealthSettings.MIN_KEEPALIVE_INTERVAL) >= 0 && d.compareTo(Duration.ofHours(1)) <= 0
                    ? d
                    : null;
        } catch (final NumberFormatException e) {
            return null;
        }
    }

    private static TopicLayout readTopics(final XmlValues r, final TopicLayout defaults) {
        final var candidate = new TopicLayout(
                r.text("topics/request-prefix", defaults.requestPrefix(), SettingsReader::prefix),
                r.text("topics/updated-prefix", defaults.updatedPrefix(), SettingsReader::prefix),
                r.text("topics/result-prefix", defaults.resultPrefix(), SettingsReader::prefix));
        final var conflict = candidate.conflict();
        if (conflict.isPresent()) {
            log.warn(
                    "config-manager: topic prefixes cannot be used as configured ({}), using the default topic "
                            + "layout {}",
                    conflict.get(),
                    defaults);
            return defaults;
        }
        return candidate;
    }

    private static String prefix(final String value) {
        final boolean valid = !value.isEmpty()
                && !value.startsWith("/")
                && !value.endsWith("/")
                && !value.contains("+")
                && !value.contains("#")
                && !value.contains("//")
                && value.indexOf('\0') < 0;
        return valid ? value : null;
    }

    private static UnknownServicePolicy policy(final String value) {
        try {
            return UnknownServicePolicy.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            return null;
        }
    }
}
