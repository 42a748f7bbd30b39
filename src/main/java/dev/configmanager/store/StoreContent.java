package dev.configmanager.store;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.time.Instant;

/**
 * A whole store's durable content, as an export carries it and an import loads it: every version of every service,
 * the schemas set through the console, the audit log if asked for, and the epoch. Rows are as stored, so sealed secrets
 * stay sealed; the key that sealed them is named by its id.
 */
public final class StoreContent {

    private StoreContent() {}

    /**
     * @param epoch          the store's config epoch, which an import keeps (services compare it)
     * @param canonicalForm  the canonical form the texts and checksums are in ({@code CanonicalJson.FORM})
     * @param secretsKeyId   the id of the key that sealed the secrets in it ({@link SecretCipher#keyId()}), or {@code
     *                       null} when unknown
     */
    public record Header(
            String epoch, int canonicalForm, @Nullable String secretsKeyId) {}

    /** A schema set through the console. */
    public record Schema(String service, String schemaJson, Instant updatedAt, String updatedBy) {}

    /**
     * Receives content in this order: the header, schemas, versions (by service, then version, oldest first), audit
     * (oldest first).
     */
    public interface Sink {
        void header(Header header) throws IOException;

        void schema(Schema schema) throws IOException;

        void version(ConfigVersion version) throws IOException;

        void audit(AuditRecord audit) throws IOException;
    }

    /** Content to import: its header first, then its rows, pushed into the sink a store gives it. */
    public interface Source {
        Header header() throws IOException;

        /**
         * Called once the store holds its locks and has found itself empty, before the first row: a last check that
         * may refuse the import (other brokers that started meanwhile).
         */
        default void ready() throws IOException {}

        /** Pushes every row, checked as it is read; a row that is wrong refuses the whole import. */
        void rows(Sink into) throws IOException;
    }
}
