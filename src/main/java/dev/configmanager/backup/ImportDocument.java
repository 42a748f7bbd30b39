package dev.configmanager.backup;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.ImportRefusedException;
import dev.configmanager.store.StoreContent;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.Json;
import dev.configmanager.wire.RequestId;
import dev.configmanager.wire.RequestOrigin;
import dev.configmanager.wire.ServiceName;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads an {@link ExportDocument} as it arrives and checks every row before the store takes it: a row that is wrong
 * refuses the whole import (the store rolls back), with a message that says which row and why. The header fields must
 * come before the row arrays, as an export writes them; unknown fields are refused, never ignored.
 */
public final class ImportDocument implements StoreContent.Source {

    private static final Pattern EPOCH =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern CHECKSUM = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{16}");
    /** The last time every database takes (a timestamp column's range differs beyond it). */
    private static final Instant LAST_INSTANT = Instant.parse("9999-12-31T23:59:59.999Z");
    /**
     * The most bytes one row may take in the document: a config of {@link ConfigStore#MAX_CONFIG_CHARS} characters,
     * each up to 4 UTF-8 bytes and with room for the indentation of a pretty-printed document. Checked before any row
     * is read into memory ({@link #checkShape}).
     */
    static final long MAX_ROW_BYTES = 8L * ConfigStore.MAX_CONFIG_CHARS;

    private static final Set<String> OUTCOMES = Set.of("accepted", "noop", "rejected");
    private static final Set<String> HEADER_FIELDS = Set.of(
            "format",
            "format_version",
            "exported_at",
            "extension_version",
            "config_epoch",
            "canonical_form",
            "secrets_key_id");

    /** Reads one value of the stream at a time: the project's strict parsing, less its end-of-input check. */
    private static final ObjectReader VALUES =
            Json.MAPPER.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonParser parser;
    private final Function<JsonNode, List<Violation>> schemaCheck;
    private @Nullable String pendingSection;

    /**
     * @param schemaCheck why a schema is not usable (empty when it is), as the console checks a schema it is given
     */
    public ImportDocument(final InputStream in, final Function<JsonNode, List<Violation>> schemaCheck)
            throws IOException {
        this.parser = Json.MAPPER.createParser(in);
        this.schemaCheck = schemaCheck;
    }

    /**
     * A first pass over a received document, in constant memory: it is JSON, an object at the top, and no row of its
     * arrays is larger than {@link #MAX_ROW_BYTES}. Only then is it read row by row into memory.
     */
    static void checkShape(final InputStream in) throws IOException {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("the document is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                final String field = p.currentName();
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    continue;
                }
                int index = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    final long start = p.currentTokenLocation().getByteOffset();
                    p.skipChildren();
                    if (p.currentLocation().getByteOffset() - start > MAX_ROW_BYTES) {
                        throw invalid(clip(field) + "[" + index + "] is larger than " + MAX_ROW_BYTES + " bytes");
                    }
                    index++;
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw invalid("the document does not end with its object");
            }
        } catch (final JsonProcessingException e) {
            throw notJson(e);
        }
    }

    @Override
    public StoreContent.Header header() throws IOException {
        try {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("the document is not a JSON object");
            }
            String format = null;
            Integer formatVersion = null;
            String epoch = null;
            Integer form = null;
            String keyId = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String field = parser.currentName();
                if (isSection(field)) {
                    pendingSection = field;
                    break;
                }
                if (!HEADER_FIELDS.contains(field)) {
                    throw invalid("unknown field \"" + clip(field) + "\" in the header");
                }
                final JsonNode value = value();
                switch (field) {
                    case "format" -> format = value.asText(null);
                    case "format_version" -> formatVersion = value.canConvertToInt() ? value.intValue() : -1;
                    case "config_epoch" -> epoch = value.isTextual() ? value.textValue() : "";
                    case "canonical_form" -> form = value.canConvertToInt() ? value.intValue() : -1;
                    case "secrets_key_id" -> keyId = value.isNull() ? null : value.asText("");
                    default -> {
                        if (!value.isTextual()) {
                            throw invalid(field + " must be a string");
                        }
                    }
                }
            }
            if (!ExportDocument.FORMAT.equals(format)) {
                throw invalid("not a config-manager export (\"format\" must be \"" + ExportDocument.FORMAT
                        + "\" and come first)");
            }
            if (formatVersion == null || formatVersion != ExportDocument.FORMAT_VERSION) {
                throw invalid("format_version " + formatVersion + " is not one this release reads ("
                        + ExportDocument.FORMAT_VERSION + ")");
            }
            if (epoch == null || !EPOCH.matcher(epoch).matches()) {
                throw invalid("config_epoch must be a lower-case UUID, before the rows");
            }
            if (form == null || form < 1) {
                throw invalid("canonical_form must be a positive integer, before the rows");
            }
            if (keyId != null && !KEY_ID.matcher(keyId).matches()) {
                throw invalid("secrets_key_id must be 16 lower-case hex digits or null");
            }
            return new StoreContent.Header(epoch, form, keyId);
        } catch (final JsonProcessingException e) {
            throw notJson(e);
        }
    }

    @Override
    public void rows(final StoreContent.Sink into) throws IOException {
        try {
            final Set<String> done = new HashSet<>();
            String section = pendingSection;
            while (section != null) {
                if (!done.add(section)) {
                    throw invalid("\"" + section + "\" appears twice");
                }
                if (parser.nextToken() != JsonToken.START_ARRAY) {
                    throw invalid("\"" + section + "\" must be an array");
                }
                readSection(section, into);
                final JsonToken next = parser.nextToken();
                if (next == JsonToken.END_OBJECT) {
                    break;
                }
                if (next != JsonToken.FIELD_NAME) {
                    throw invalid("the document ends before its last \"}\"");
                }
                final String field = parser.currentName();
                if (!isSection(field)) {
                    throw invalid(
                            HEADER_FIELDS.contains(field)
                                    ? "\"" + field + "\" must come before the rows"
                                    : "unknown field \"" + clip(field) + "\"");
                }
                section = field;
            }
            if (!done.contains(ExportDocument.VERSIONS)) {
                throw invalid("the document has no \"versions\" array");
            }
            if (parser.nextToken() != null) {
                throw invalid("the document goes on after its end");
            }
        } catch (final JsonProcessingException e) {
            throw notJson(e);
        }
    }

    private void readSection(final String section, final StoreContent.Sink into) throws IOException {
        final Versions versions = new Versions();
        final Set<String> schemas = new HashSet<>();
        int index = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw invalid(section + "[" + index + "] is not an object");
            }
            final ObjectNode row = (ObjectNode) VALUES.readTree(parser);
            final Row r = new Row(section + "[" + index + "]", row);
            switch (section) {
                case ExportDocument.SCHEMAS -> {
                    final StoreContent.Schema schema = schema(r);
                    if (!schemas.add(schema.service())) {
                        throw r.wrong("a second schema for " + schema.service());
                    }
                    into.schema(schema);
                }
                case ExportDocument.VERSIONS -> into.version(versions.next(version(r), r));
                default -> into.audit(audit(r));
            }
            r.noOthers();
            index++;
        }
    }

    private StoreContent.Schema schema(final Row r) throws ImportRefusedException {
        final String service = r.service(true);
        final JsonNode schema = r.node("schema");
        if (!schema.isObject()) {
            throw r.wrong("schema must be an object");
        }
        final List<Violation> problems = schemaCheck.apply(schema);
        if (!problems.isEmpty()) {
            throw r.wrong("the schema of " + service + " is not usable: "
                    + clip(problems.get(0).message()));
        }
        final String text = Json.text(schema);
        if (text.length() > ConfigStore.MAX_CONFIG_CHARS) {
            throw r.wrong("the schema of " + service + " is longer than " + ConfigStore.MAX_CONFIG_CHARS + " chars");
        }
        return new StoreContent.Schema(service, text, r.instant("updated_at"), r.text("updated_by", 256, false));
    }

    private ConfigVersion version(final Row r) throws ImportRefusedException {
        final String service = r.service(true);
        final JsonNode number = r.node("version");
        if (!number.canConvertToLong() || !number.isIntegralNumber() || number.longValue() < 1) {
            throw r.wrong("version must be a positive integer");
        }
        final ConfigVersion.Change change;
        try {
            change = ConfigVersion.Change.valueOf(r.text("change", 16, false).toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw r.wrong("change must be set, patch, rollback or delete");
        }
        final JsonNode config = r.node("config");
        final String checksum = r.text("checksum", 64, true);
        final String text;
        if (change == ConfigVersion.Change.DELETE) {
            if (!config.isNull() || checksum != null) {
                throw r.wrong("a delete has no config and no checksum");
            }
            text = null;
        } else {
            if (!config.isObject()) {
                throw r.wrong("config must be an object");
            }
            if (checksum == null || !CHECKSUM.matcher(checksum).matches()) {
                throw r.wrong("checksum must be 64 lower-case hex digits");
            }
            text = CanonicalJson.write(config);
            if (text.length() > ConfigStore.MAX_CONFIG_CHARS) {
                throw r.wrong("config is longer than " + ConfigStore.MAX_CONFIG_CHARS + " chars");
            }
        }
        final String requestId = r.text("request_id", 128, true);
        if (requestId != null && !RequestId.isValid(requestId)) {
            throw r.wrong("request_id " + RequestId.RULE);
        }
        return new ConfigVersion(
                service,
                number.longValue(),
                change,
                text,
                checksum,
                r.instant("updated_at"),
                r.text("updated_by", 256, false),
                requestId,
                r.origin());
    }

    private AuditRecord audit(final Row r) throws ImportRefusedException {
        final String outcome = r.text("outcome", 16, false);
        if (!OUTCOMES.contains(outcome)) {
            throw r.wrong("outcome must be accepted, noop or rejected");
        }
        final JsonNode version = r.node("version");
        if (!version.isNull() && (!version.isIntegralNumber() || !version.canConvertToLong())) {
            throw r.wrong("version must be an integer or null");
        }
        return new AuditRecord(
                r.instant("at"),
                r.text("service", 64, true),
                r.text("action", 16, true),
                r.origin(),
                r.text("requester", 256, true),
                r.text("request_id", 128, true),
                outcome,
                version.isNull() ? null : version.longValue(),
                r.text("error_code", 32, true),
                r.text("message", 1024, true));
    }

    /** The versions of one service come together, numbered 1, 2, 3… with none missing: a cut export is refused. */
    private static final class Versions {
        private final Set<String> finished = new HashSet<>();
        private @Nullable String service;
        private long last;

        ConfigVersion next(final ConfigVersion v, final Row r) throws ImportRefusedException {
            if (!v.service().equals(service)) {
                if (service != null) {
                    finished.add(service);
                }
                if (finished.contains(v.service())) {
                    throw r.wrong("the versions of " + v.service() + " are not together");
                }
                service = v.service();
                last = 0;
            }
            if (v.version() != last + 1) {
                throw r.wrong(v.service() + " v" + v.version() + " follows v" + last + "; versions run 1, 2, 3… "
                        + "with none missing");
            }
            last = v.version();
            return v;
        }
    }

    /** One row, read field by field; a field not read by the end is refused. */
    private static final class Row {
        private final String where;
        private final ObjectNode node;
        private final Set<String> read = new HashSet<>();

        Row(final String where, final ObjectNode node) {
            this.where = where;
            this.node = node;
        }

        JsonNode node(final String field) throws ImportRefusedException {
            final JsonNode value = node.get(field);
            if (value == null) {
                throw wrong("it has no \"" + field + "\"");
            }
            read.add(field);
            return value;
        }

        @Nullable
        String text(final String field, final int max, final boolean nullable) throws ImportRefusedException {
            final JsonNode value = node(field);
            if (value.isNull() && nullable) {
                return null;
            }
            if (!value.isTextual() || value.textValue().length() > max) {
                throw wrong(field + " must be a string of at most " + max + " chars" + (nullable ? ", or null" : ""));
            }
            if (value.textValue().chars().anyMatch(Character::isISOControl)) {
                throw wrong(field + " holds a control character");
            }
            return value.textValue();
        }

        String service(final boolean required) throws ImportRefusedException {
            final String service = text("service", 64, !required);
            if (service == null || !ServiceName.isValid(service)) {
                throw wrong("service names " + ServiceName.RULE);
            }
            return service;
        }

        Instant instant(final String field) throws ImportRefusedException {
            final String text = text(field, 40, false);
            final Instant at;
            try {
                at = Instant.parse(text);
            } catch (final DateTimeParseException e) {
                throw wrong(field + " must be an ISO-8601 UTC time such as 2026-01-31T12:00:00.123Z");
            }
            if (at.isBefore(Instant.EPOCH) || at.isAfter(LAST_INSTANT)) {
                throw wrong(field + " must be between 1970 and 9999");
            }
            return at.truncatedTo(ChronoUnit.MILLIS); // as the database keeps it
        }

        RequestOrigin origin() throws ImportRefusedException {
            final String origin = text("origin", 8, false);
            try {
                return RequestOrigin.valueOf(origin.toUpperCase(Locale.ROOT));
            } catch (final IllegalArgumentException e) {
                throw wrong("origin must be mqtt or http");
            }
        }

        void noOthers() throws ImportRefusedException {
            final Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                final String name = names.next();
                if (!read.contains(name)) {
                    throw wrong("unknown field \"" + clip(name) + "\"");
                }
            }
        }

        ImportRefusedException wrong(final String why) {
            return invalid(where + ": " + why);
        }
    }

    private static boolean isSection(final String field) {
        return field.equals(ExportDocument.SCHEMAS)
                || field.equals(ExportDocument.VERSIONS)
                || field.equals(ExportDocument.AUDIT);
    }

    private JsonNode value() throws IOException {
        parser.nextToken();
        return VALUES.readTree(parser);
    }

    private static ImportRefusedException invalid(final String why) {
        return new ImportRefusedException(ImportRefusedException.Reason.INVALID_IMPORT, why);
    }

    /** Jackson's message names the line and column; it never quotes more than a few characters of the input. */
    private static ImportRefusedException notJson(final JsonProcessingException e) {
        final var at = e.getLocation();
        return invalid("not valid JSON"
                + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
                + clip(e.getOriginalMessage()));
    }

    private static String clip(final String s) {
        final String plain = s.replaceAll("[\\p{Cntrl}]", "?");
        return plain.length() <= 120 ? plain : plain.substring(0, 120) + "…";
    }
}
