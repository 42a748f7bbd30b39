package dev.configmanager.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.configmanager.config.ExtensionVersion;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreContent;
import dev.configmanager.wire.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Locale;

/**
 * Writes a store's content as one JSON document while the store reads it, a row at a time, so that an export of any
 * size streams in constant memory. Configs and schemas are written as the JSON they are (sealed secrets as {@code
 * {"$sealed": …}}), so the document reads well with {@code jq}. {@link ImportDocument} reads it back.
 */
public final class ExportDocument implements StoreContent.Sink {

    /** The value of the document's {@code format} field. */
    static final String FORMAT = "config-manager-export";
    /** Raised when a field changes meaning; an import refuses a version it does not know. */
    static final int FORMAT_VERSION = 1;

    static final String SCHEMAS = "schemas";
    static final String VERSIONS = "versions";
    static final String AUDIT = "audit";

    private final JsonGenerator out;
    private final Instant exportedAt;
    private final boolean withAudit;
    private String section = "";

    /** @param withAudit whether the document has an {@code audit} array (the store must then be asked for it) */
    public ExportDocument(final OutputStream out, final Instant exportedAt, final boolean withAudit)
            throws IOException {
        this.out = Json.MAPPER.getFactory().createGenerator(out);
        this.exportedAt = exportedAt;
        this.withAudit = withAudit;
    }

    @Override
    public void header(final StoreContent.Header header) throws IOException {
        out.writeStartObject();
        out.writeStringField("format", FORMAT);
        out.writeNumberField("format_version", FORMAT_VERSION);
        out.writeStringField("exported_at", exportedAt.toString());
        out.writeStringField("extension_version", ExtensionVersion.get());
        out.writeStringField("config_epoch", header.epoch());
        out.writeNumberField("canonical_form", header.canonicalForm());
        out.writeStringField("secrets_key_id", header.secretsKeyId());
    }

    @Override
    public void schema(final StoreContent.Schema schema) throws IOException {
        enter(SCHEMAS);
        out.writeStartObject();
        out.writeStringField("service", schema.service());
        out.writeFieldName("schema");
        out.writeRawValue(schema.schemaJson());
        out.writeStringField("updated_at", schema.updatedAt().toString());
        out.writeStringField("updated_by", schema.updatedBy());
        out.writeEndObject();
    }

    @Override
    public void version(final ConfigVersion v) throws IOException {
        enter(VERSIONS);
        out.writeStartObject();
        out.writeStringField("service", v.service());
        out.writeNumberField("version", v.version());
        out.writeStringField("change", v.change().name().toLowerCase(Locale.ROOT));
        out.writeFieldName("config");
        if (v.config() == null) {
            out.writeNull();
        } else {
            out.writeRawValue(v.config());
        }
        out.writeStringField("checksum", v.checksum());
        out.writeStringField("updated_at", v.updatedAt().toString());
        out.writeStringField("updated_by", v.updatedBy());
        out.writeStringField("request_id", v.requestId());
        out.writeStringField("origin", v.origin().name().toLowerCase(Locale.ROOT));
        out.writeEndObject();
    }

    @Override
    public void audit(final AuditRecord a) throws IOException {
        enter(AUDIT);
        out.writeStartObject();
        out.writeStringField("at", a.at().toString());
        out.writeStringField("service", a.service());
        out.writeStringField("action", a.action());
        out.writeStringField("origin", a.origin().name().toLowerCase(Locale.ROOT));
        out.writeStringField("requester", a.requester());
        out.writeStringField("request_id", a.requestId());
        out.writeStringField("outcome", a.outcome());
        if (a.version() == null) {
            out.writeNullField("version");
        } else {
            out.writeNumberField("version", a.version());
        }
        out.writeStringField("error_code", a.errorCode());
        out.writeStringField("message", a.message());
        out.writeEndObject();
    }

    /** Ends the document: every section is there, if only empty. Only a finished document can be imported. */
    public void finish() throws IOException {
        if (!section.equals(AUDIT)) {
            enter(withAudit ? AUDIT : VERSIONS);
        }
        out.writeEndArray();
        out.writeEndObject();
        out.flush();
    }

    /** Opens {@code next}'s array, after closing the one before and writing any empty one between them. */
    private void enter(final String next) throws IOException {
        if (section.equals(next)) {
            return;
        }
        final String[] order = {SCHEMAS, VERSIONS, AUDIT};
        boolean passed = section.isEmpty();
        if (!section.isEmpty()) {
            out.writeEndArray();
        }
        for (final String s : order) {
            if (passed) {
                out.writeArrayFieldStart(s);
                if (s.equals(next)) {
                    section = next;
                    return;
                }
                out.writeEndArray();
            }
            if (s.equals(section)) {
                passed = true;
            }
        }
        throw new IllegalStateException(next + " after " + section);
    }
}
