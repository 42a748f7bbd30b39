package dev.configmanager.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.JsonLocation;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Keeps secret config values encrypted at rest. Before a version is stored, every value at one of the service's
 * secret paths (schema fields marked {@code "writeOnly": true}) is replaced by {@code {"$sealed": "<AES-GCM>"}}; when
 * it is read back, sealed values are opened again, so everything above the store works with the real config and the
 * database file, its history and its backups never hold a secret in clear.
 */
public final class SealedConfigStore implements ConfigStore {

    static final String MARKER = "$sealed";

    private final ConfigStore store;
    private final SecretCipher cipher;
    private final BiFunction<String, JsonNode, List<List<String>>> secretLocations;

    /**
     * @param secretLocations where a service's config holds secrets (object keys and array indices from the root),
     *                        from its schema
     */
    public SealedConfigStore(
            final ConfigStore store,
            final SecretCipher cipher,
            final BiFunction<String, JsonNode, List<List<String>>> secretLocations) {
        this.store = store;
        this.cipher = cipher;
        this.secretLocations = secretLocations;
    }

    /**
     * {@code store} sealed with {@code cipher}, its stored versions brought to the current canonical form first
     * ({@link CanonicalJson#FORM}): a database written by an earlier release keeps working, and the versions whose
     * checksum changed are republished by the start-up sync, which compares checksums.
     */
    public static SealedConfigStore opened(
            final SqlConfigStore store,
            final SecretCipher cipher,
            final BiFunction<String, JsonNode, List<List<String>>> secretLocations)
            throws StoreUnavailableException {
        final SealedConfigStore sealed = new SealedConfigStore(store, cipher, secretLocations);
        try {
            store.bringToForm(CanonicalJson.FORM, sealed::inCurrentForm);
        } catch (final StoreUnavailableException e) {
            store.close();
            throw e;
        }
        return sealed;
    }

    /**
     * A stored version as the current canonical form writes it: its stored text re-written, and its checksum computed
     * over its plain text. A version with a sealed value this key cannot open is left as it is (its checksum cannot
     * be computed); it is logged.
     */
    ConfigVersion inCurrentForm(final ConfigVersion stored) {
        if (stored.config() == null) {
            return stored;
        }
        final String plain = open(stored).config();
        if (plain.contains("\"" + MARKER + "\"")) {
            LoggerFactory.getLogger(SealedConfigStore.class)
                    .warn(
                            "config-manager: {} v{} holds a secret that this secrets key cannot open; its checksum is "
                                    + "left in the old canonical form",
                            stored.service(),
                            stored.version());
            return stored;
        }
        final String text = CanonicalJson.write(parse(stored.config()));
        final String checksum = CanonicalJson.sha256Hex(CanonicalJson.write(parse(plain)));
        if (text.equals(stored.config()) && checksum.equals(stored.checksum())) {
            return stored;
        }
        return new ConfigVersion(
                stored.service(),
                stored.version(),
                stored.change(),
                text,
                checksum,
                stored.updatedAt(),
                stored.updatedBy(),
                stored.requestId(),
                stored.origin());
    }

    @Override
    public String epoch() {
        return store.epoch();
    }

    @Override
    public Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
        return store.current(service).map(this::open);
    }

    @Override
    public List<ConfigVersion> allCurrent() throws StoreUnavailableException {
        return store.allCurrent().stream().map(this::open).toList();
    }

    @Override
    public Optional<ConfigVersion> version(final String service, final long version) throws StoreUnavailableException {
        return store.version(service, version).map(this::open);
    }

    @Override
    public List<ConfigVersion> history(final String service, final int limit) throws StoreUnavailableException {
        return store.history(service, limit).stream().map(this::open).toList();
    }

    @Override
    public List<AuditRecord> audit(final String service, final String outcome, final int limit)
            throws StoreUnavailableException {
        return store.audit(service, outcome, limit);
    }

    @Override
    public Map<String, Long> rejectionsSince(final Instant since) throws StoreUnavailableException {
        return store.rejectionsSince(since);
    }

    @Override
    public List<ClientReport> recordReports(final List<ClientReport> reports, final int maxClientsPerService)
            throws StoreUnavailableException, WriteRefusedException {
        return store.recordReports(reports, maxClientsPerService);
    }

    @Override
    public List<StoredReport> reports() throws StoreUnavailableException {
        return store.reports();
    }

    @Override
    public int forgetReports(final String clientId) throws StoreUnavailableException {
        return store.forgetReports(clientId);
    }

    @Override
    public Map<String, String> schemas() throws StoreUnavailableException {
        return store.schemas();
    }

    @Override
    public void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        store.putSchema(service, schemaJson, audit);
    }

    @Override
    public void commit(
            final List<ConfigVersion> versions, final List<AuditRecord> audit, final List<RequestAnswer> answers)
            throws StoreUnavailableException, WriteRefusedException {
        final List<ConfigVersion> sealed = new ArrayList<>(versions.size());
        for (final ConfigVersion v : versions) {
            sealed.add(seal(v));
        }
        store.commit(sealed, audit, answers);
    }

    /** Rows as stored, sealed; the header names this store's secrets key. */
    @Override
    public void exportTo(final StoreContent.Sink sink, final boolean withAudit)
            throws StoreUnavailableException, IOException {
        store.exportTo(
                new StoreContent.Sink() {
                    @Override
                    public void header(final StoreContent.Header header) throws IOException {
                        sink.header(new StoreContent.Header(header.epoch(), header.canonicalForm(), cipher.keyId()));
                    }

                    @Override
                    public void schema(final StoreContent.Schema schema) throws IOException {
                        sink.schema(schema);
                    }

                    @Override
                    public void version(final ConfigVersion version) throws IOException {
                        sink.version(version);
                    }

                    @Override
                    public void audit(final AuditRecord audit) throws IOException {
                        sink.audit(audit);
                    }
                },
                withAudit);
    }

    /**
     * Rows are stored sealed as they come, once each is checked here: every sealed value opens with this store's key,
     * and the checksum is the one of the plain config.
     */
    @Override
    public long importFrom(final StoreContent.Source source) throws StoreUnavailableException, IOException {
        return store.importFrom(new StoreContent.Source() {
            private StoreContent.Header header;

            @Override
            public StoreContent.Header header() throws IOException {
                header = source.header();
                return header;
            }

            @Override
            public void ready() throws IOException {
                source.ready();
            }

            @Override
            public void rows(final StoreContent.Sink into) throws IOException {
                source.rows(new StoreContent.Sink() {
                    @Override
                    public void header(final StoreContent.Header ignored) {}

                    @Override
                    public void schema(final StoreContent.Schema schema) throws IOException {
                        into.schema(schema);
                    }

                    @Override
                    public void version(final ConfigVersion version) throws IOException {
                        check(version, header);
                        into.version(version);
                    }

                    @Override
                    public void audit(final AuditRecord audit) throws IOException {
                        into.audit(audit);
                    }
                });
            }
        });
    }

    private void check(final ConfigVersion stored, final StoreContent.Header header) throws ImportRefusedException {
        if (stored.config() == null) {
            return;
        }
        final ConfigVersion opened = open(stored);
        if (holdsSealed(parse(opened.config()))) {
            throw new ImportRefusedException(
                    ImportRefusedException.Reason.SECRETS_KEY_MISMATCH,
                    stored.service() + " v" + stored.version() + " holds a secret sealed by "
                            + (header.secretsKeyId() == null ? "another key" : "key " + header.secretsKeyId())
                            + "; this broker's secrets key is " + cipher.keyId()
                            + ". Install the exporting broker's secrets key (<secrets><key> or its key file), "
                            + "restart, and import again");
        }
        if (!CanonicalJson.sha256Hex(opened.config()).equals(stored.checksum())) {
            throw new ImportRefusedException(
                    ImportRefusedException.Reason.INVALID_IMPORT,
                    stored.service() + " v" + stored.version() + ": the checksum is not the one of its config");
        }
    }

    /** Whether a value sealed as {@link #seal} seals ({@code {"$sealed": "<text>"}}) is left, not opened. */
    private static boolean holdsSealed(final JsonNode node) {
        if (node.isObject() && node.size() == 1 && node.path(MARKER).isTextual()) {
            return true;
        }
        for (final JsonNode child : node) {
            if (holdsSealed(child)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void backup(final Path file) throws StoreUnavailableException, IOException {
        store.backup(file);
    }

    @Override
    public Optional<SharedPresence> presence(final String node) {
        return store.presence(node);
    }

    @Override
    public Optional<PublisherRole> publisherRole() {
        return store.publisherRole();
    }

    /** Answers hold no config (a checksum at most), so there is nothing to seal in them. */
    @Override
    public Map<String, ConfigResult> answered(
            final String service, final Collection<String> requestIds, final Instant now)
            throws StoreUnavailableException {
        return store.answered(service, requestIds, now);
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public AutoCloseable follow(final Consumer<ConfigVersion> changed) throws StoreUnavailableException {
        return store.follow(v -> changed.accept(open(v)));
    }

    private ConfigVersion seal(final ConfigVersion v) {
        if (v.config() == null) {
            return v;
        }
        final JsonNode config = parse(v.config());
        final List<List<String>> locations = secretLocations.apply(v.service(), config);
        boolean changed = false;
        for (final List<String> path : locations) {
            final JsonNode parent = JsonLocation.at(config, path.subList(0, path.size() - 1));
            final String last = path.get(path.size() - 1);
            final JsonNode value = parent == null ? null : JsonLocation.child(parent, last);
            if (value != null && !value.isNull()) {
                final ObjectNode sealed =
                        Json.object().put(MARKER, cipher.seal(CanonicalJson.write(value), context(v.service(), path)));
                if (parent instanceof ObjectNode object) {
                    object.set(last, sealed);
                } else {
                    ((ArrayNode) parent).set(Integer.parseInt(last), sealed);
                }
                changed = true;
            }
        }
        return changed ? with(v, CanonicalJson.write(config)) : v;
    }

    /**
     * How many characters sealing adds to {@code config}'s canonical form, computed without sealing: each secret
     * value becomes {@code {"$sealed":"<base64 of nonce, ciphertext, tag>"}}. Lets a write that would not fit its
     * column be refused before it reaches the writer.
     */
    public static long sealingGrowth(final JsonNode config, final List<List<String>> locations) {
        long growth = 0;
        for (final List<String> path : locations) {
            final JsonNode value = JsonLocation.at(config, path);
            if (value != null && !value.isNull()) {
                final String plain = CanonicalJson.write(value);
                final long sealedBytes = SecretCipher.sealedBytes(plain.getBytes(StandardCharsets.UTF_8).length);
                final long base64 = 4 * ((sealedBytes + 2) / 3);
                growth += ("{\"" + MARKER + "\":\"\"}").length() + base64 - plain.length();
            }
        }
        return growth;
    }

    private ConfigVersion open(final ConfigVersion v) {
        if (v.config() == null || !v.config().contains("\"" + MARKER + "\"")) {
            return v;
        }
        final JsonNode config = parse(v.config());
        openAll(v.service(), config, new ArrayList<>());
        return with(v, CanonicalJson.write(config));
    }

    /** Opens every sealed value, in objects and arrays alike, each with the location it was sealed for. */
    private void openAll(final String service, final JsonNode node, final List<String> path) {
        if (node instanceof ObjectNode object) {
            final Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                final Map.Entry<String, JsonNode> field = fields.next();
                path.add(field.getKey());
                opened(service, field.getValue(), path)
                        .ifPresentOrElse(field::setValue, () -> openAll(service, field.getValue(), path));
                path.remove(path.size() - 1);
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                path.add(Integer.toString(i));
                final int index = i;
                opened(service, array.get(i), path)
                        .ifPresentOrElse(
                                plain -> array.set(index, plain), () -> openAll(service, array.get(index), path));
                path.remove(path.size() - 1);
            }
        }
    }

    /** The plain value of a sealed value at {@code path}, or empty if it is not one (or not sealed for there). */
    private Optional<JsonNode> opened(final String service, final JsonNode value, final List<String> path) {
        final JsonNode sealed = value.isObject() && value.size() == 1 ? value.get(MARKER) : null;
        if (sealed == null || !sealed.isTextual()) {
            return Optional.empty();
        }
        return cipher.open(sealed.textValue(), context(service, path)).map(SealedConfigStore::parse);
    }

    private static String context(final String service, final List<String> path) {
        return service + "\u0000" + String.join("\u0000", path);
    }

    private static ConfigVersion with(final ConfigVersion v, final String config) {
        return new ConfigVersion(
                v.service(),
                v.version(),
                v.change(),
                config,
                v.checksum(),
                v.updatedAt(),
                v.updatedBy(),
                v.requestId(),
                v.origin());
    }

    private static JsonNode parse(final String json) {
        try {
            return Json.parse(json);
        } catch (final IOException e) {
            throw new IllegalStateException("a stored config is not JSON", e);
        }
    }
}
