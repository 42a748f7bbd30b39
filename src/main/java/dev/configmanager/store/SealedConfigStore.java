package dev.configmanager.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

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
    private final Function<String, List<List<String>>> secretPaths;

    /** @param secretPaths the secret field paths of a service (object keys from the root), from its schema */
    public SealedConfigStore(final ConfigStore store, final SecretCipher cipher,
                             final Function<String, List<List<String>>> secretPaths) {
        this.store = store;
        this.cipher = cipher;
        this.secretPaths = secretPaths;
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
    public Optional<ConfigVersion> version(final String service, final long version)
            throws StoreUnavailableException {
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
    public Map<String, String> schemas() throws StoreUnavailableException {
        return store.schemas();
    }

    @Override
    public void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        store.putSchema(service, schemaJson, audit);
    }

    @Override
    public void commit(final List<ConfigVersion> versions, final List<AuditRecord> audit)
            throws StoreUnavailableException {
        final List<ConfigVersion> sealed = new ArrayList<>(versions.size());
        for (final ConfigVersion v : versions) {
            sealed.add(seal(v));
        }
        store.commit(sealed, audit);
    }

    @Override
    public void close() {
        store.close();
    }

    private ConfigVersion seal(final ConfigVersion v) {
        final List<List<String>> paths = v.config() == null ? List.of() : secretPaths.apply(v.service());
        if (paths.isEmpty()) {
            return v;
        }
        final JsonNode config = parse(v.config());
        boolean changed = false;
        for (final List<String> path : paths) {
            JsonNode parent = config;
            for (int i = 0; i < path.size() - 1 && parent != null; i++) {
                parent = parent.get(path.get(i));
            }
            final String field = path.get(path.size() - 1);
            if (parent instanceof ObjectNode object && object.has(field) && !object.get(field).isNull()) {
                final String plain = CanonicalJson.write(object.get(field));
                object.putObject(field).put(MARKER, cipher.seal(plain, context(v.service(), path)));
                changed = true;
            }
        }
        return changed ? with(v, CanonicalJson.write(config)) : v;
    }

    private ConfigVersion open(final ConfigVersion v) {
        if (v.config() == null || !v.config().contains("\"" + MARKER + "\"")) {
            return v;
        }
        final JsonNode config = parse(v.config());
        openAll(v.service(), config, new ArrayList<>());
        return with(v, CanonicalJson.write(config));
    }

    private void openAll(final String service, final JsonNode node, final List<String> path) {
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        final Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
            final Map.Entry<String, JsonNode> field = fields.next();
            path.add(field.getKey());
            final JsonNode value = field.getValue();
            final JsonNode sealed = value.isObject() && value.size() == 1 ? value.get(MARKER) : null;
            final Optional<String> plain = sealed != null && sealed.isTextual()
                    ? cipher.open(sealed.textValue(), context(service, path)) : Optional.empty();
            if (plain.isPresent()) {
                field.setValue(parse(plain.get()));
            } else {
                openAll(service, value, path);
            }
            path.remove(path.size() - 1);
        }
    }

    private static String context(final String service, final List<String> path) {
        return service + "\u0000" + String.join("\u0000", path);
    }

    private static ConfigVersion with(final ConfigVersion v, final String config) {
        return new ConfigVersion(v.service(), v.version(), v.change(), config, v.checksum(), v.updatedAt(),
                v.updatedBy(), v.requestId(), v.origin());
    }

    private static JsonNode parse(final String json) {
        try {
            return Json.parse(json);
        } catch (final IOException e) {
            throw new IllegalStateException("a stored config is not JSON", e);
        }
    }
}
