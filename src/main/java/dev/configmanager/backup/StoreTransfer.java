package dev.configmanager.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.SharedPresence;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Export, import and backup of the whole store, whatever asks for them (the console's API today). An import is
 * followed by what makes the broker agree with the store it now has: schemas in force, decisions starting from the
 * new versions, and retained config topics republished.
 */
public final class StoreTransfer {

    private static final Logger log = LoggerFactory.getLogger(StoreTransfer.class);

    /** Other brokers run on the shared database: they would go on with the old epoch. */
    public static final class OtherBrokersRunning extends Exception {
        OtherBrokersRunning(final List<String> nodes) {
            super("other brokers use this database now ("
                    + String.join(", ", nodes.subList(0, Math.min(5, nodes.size()))) + (nodes.size() > 5 ? ", …" : "")
                    + "): stop them, wait 30 s, import, then start them again");
        }
    }

    /** A backup written: its file, size and SHA-256. */
    public record Backup(Path file, long bytes, String sha256) {}

    private final ConfigStore store;
    private final Function<JsonNode, List<Violation>> schemaCheck;
    private final Path backupFolder;
    private final @Nullable SharedPresence presence;
    private final Runnable afterImport;
    private final Clock clock;

    /**
     * @param schemaCheck  why a schema is not usable (empty when it is)
     * @param backupFolder where backups of an embedded database are written
     * @param presence     the brokers of a shared database, or {@code null} for a broker's own
     * @param afterImport  makes the broker agree with the store after an import
     */
    public StoreTransfer(
            final ConfigStore store,
            final Function<JsonNode, List<Violation>> schemaCheck,
            final Path backupFolder,
            final @Nullable SharedPresence presence,
            final Runnable afterImport,
            final Clock clock) {
        this.store = store;
        this.schemaCheck = schemaCheck;
        this.backupFolder = backupFolder;
        this.presence = presence;
        this.afterImport = afterImport;
        this.clock = clock;
    }

    /**
     * Streams the whole store to {@code out} as one document.
     *
     * @param out written to only once the store is read (a store that cannot be read fails before the first byte)
     */
    public void export(final OutputStream out, final boolean withAudit) throws StoreUnavailableException, IOException {
        final ExportDocument document = new ExportDocument(out, clock.instant(), withAudit);
        store.exportTo(document, withAudit);
        document.finish();
    }

    /**
     * Loads an export into the empty store, then brings the broker in line with it.
     *
     * @return the versions loaded
     */
    public long importFrom(final InputStream in) throws StoreUnavailableException, IOException, OtherBrokersRunning {
        if (presence != null) {
            final List<String> others = presence.otherLiveBrokers();
            if (!others.isEmpty()) {
                throw new OtherBrokersRunning(others);
            }
        }
        final long loaded = store.importFrom(new ImportDocument(in, schemaCheck));
        afterImport.run();
        return loaded;
    }

    /** A consistent copy of the embedded database in the backup folder. */
    public Backup backup() throws StoreUnavailableException, IOException {
        final Path file = store.backup(backupFolder);
        final MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        final Backup backup = new Backup(file, Files.size(file), HexFormat.of().formatHex(sha.digest()));
        log.info("config-manager: backed up the config database to {} ({} bytes)", file, backup.bytes());
        return backup;
    }
}
