package dev.configmanager.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ImportRefusedException;
import dev.configmanager.store.SharedPresence;
import dev.configmanager.store.StoreContent;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.Violation;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Export, import and backup of the whole store, whatever asks for them (the console's API today). An import is
 * received into a file first and checked there, so a slow or oversized upload never holds the store's locks; then it
 * is loaded, and followed by what makes the broker agree with the store it now has: schemas in force, decisions
 * starting from the new versions, and retained config topics republished.
 */
public final class StoreTransfer {

    private static final Logger log = LoggerFactory.getLogger(StoreTransfer.class);
    /** The UTC time in a backup's file name: sorts by time, and has no character a file system refuses. */
    private static final DateTimeFormatter BACKUP_NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'");

    /** A backup written: its file, size and SHA-256. */
    public record Backup(Path file, long bytes, String sha256) {}

    private final ConfigStore store;
    private final Function<JsonNode, List<Violation>> schemaCheck;
    private final Path folder;
    private final @Nullable SharedPresence presence;
    private final Runnable afterImport;
    private final Clock clock;

    /**
     * @param schemaCheck why a schema is not usable (empty when it is)
     * @param folder      the database's folder: backups go to its {@code backups/}, an import is received there
     * @param presence    the brokers of a shared database, or {@code null} for a broker's own
     * @param afterImport makes the broker agree with the store after an import
     */
    public StoreTransfer(
            final ConfigStore store,
            final Function<JsonNode, List<Violation>> schemaCheck,
            final Path folder,
            final @Nullable SharedPresence presence,
            final Runnable afterImport,
            final Clock clock) {
        this.store = store;
        this.schemaCheck = schemaCheck;
        this.folder = folder;
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
     * @param in        the document, read to its end (the caller bounds its size)
     * @param requester who asks, for the log
     * @return the versions loaded
     */
    public long importFrom(final InputStream in, final String requester) throws StoreUnavailableException, IOException {
        refuseWhileOthersRun();
        Files.createDirectories(folder);
        final Path received = Files.createTempFile(
                folder,
                "import-",
                ".json",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        final long loaded;
        try {
            try (OutputStream out = Files.newOutputStream(received)) {
                in.transferTo(out);
            }
            try (InputStream file = new BufferedInputStream(Files.newInputStream(received))) {
                ImportDocument.checkShape(file);
            }
            try (InputStream file = new BufferedInputStream(Files.newInputStream(received))) {
                loaded = store.importFrom(new Checked(new ImportDocument(file, schemaCheck)));
            }
        } finally {
            Files.deleteIfExists(received);
        }
        log.info("config-manager: {} imported {} version(s) into the empty store", requester, loaded);
        afterImport.run();
        return loaded;
    }

    /** The document, with the other brokers looked for again once the store holds its locks. */
    private final class Checked implements StoreContent.Source {
        private final StoreContent.Source document;

        Checked(final StoreContent.Source document) {
            this.document = document;
        }

        @Override
        public StoreContent.Header header() throws IOException {
            return document.header();
        }

        @Override
        public void ready() throws IOException {
            try {
                refuseWhileOthersRun();
            } catch (final StoreUnavailableException e) {
                throw new ImportRefusedException(
                        ImportRefusedException.Reason.OTHER_BROKERS_RUNNING,
                        "cannot tell whether other brokers use this database (" + e.getMessage() + "); try again");
            }
        }

        @Override
        public void rows(final StoreContent.Sink into) throws IOException {
            document.rows(into);
        }
    }

    private void refuseWhileOthersRun() throws StoreUnavailableException, ImportRefusedException {
        if (presence == null) {
            return;
        }
        final List<String> others = presence.otherLiveBrokers();
        if (!others.isEmpty()) {
            throw new ImportRefusedException(
                    ImportRefusedException.Reason.OTHER_BROKERS_RUNNING,
                    "other brokers use this database now ("
                            + String.join(", ", others.subList(0, Math.min(5, others.size())))
                            + (others.size() > 5 ? ", …" : "")
                            + "): stop them, wait more than 30 s, import, then start them again");
        }
    }

    /**
     * A consistent copy of the embedded database in {@code backups/}.
     *
     * @param requester who asks, for the log
     */
    public Backup backup(final String requester) throws StoreUnavailableException, IOException {
        final Path file = folder.resolve("backups")
                .resolve("config-manager-" + BACKUP_NAME.format(clock.instant().atOffset(ZoneOffset.UTC)) + ".zip");
        store.backup(file);
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
        log.info("config-manager: {} backed up the config database to {} ({} bytes)", requester, file, backup.bytes());
        return backup;
    }
}
