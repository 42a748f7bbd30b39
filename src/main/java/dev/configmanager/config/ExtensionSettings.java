package dev.configmanager.config;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The extension's own settings, read once at start from {@code conf/config.xml}. Every value has a safe default here
 * and only here.
 *
 * @param databasePath   H2 file path without the {@code .mv.db} suffix; relative paths resolve against the broker's
 *                       data folder
 * @param schemaFolder   folder of {@code <service>.json} schemas; relative paths resolve against the extension home
 * @param secretsKey     base64 AES-256 key for secrets at rest, or {@code null} to use {@code secretsKeyFile}
 * @param secretsKeyFile the key file (created at first start); relative paths resolve against the data folder
 * @param sharedDatabase the PostgreSQL database several brokers share, or {@code null} for the H2 file
 * @param signing        how {@code config/updated} is signed
 */
public record ExtensionSettings(
        TopicLayout topics,
        int maxPayloadBytes,
        int maxDepth,
        Duration dedupWindow,
        int dedupMaxEntries,
        Duration requestTimeout,
        String schemaFolder,
        UnknownServicePolicy unknownServicePolicy,
        String databasePath,
        int auditMaxRows,
        HealthSettings health,
        AccessSettings access,
        @Nullable String secretsKey,
        String secretsKeyFile,
        ConsoleSettings console,
        @Nullable SharedDatabase sharedDatabase,
        SigningSettings signing,
        DriftSettings drift) {

    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
    /** Stored configs live in a VARCHAR column of this many characters. */
    public static final int MAX_PAYLOAD_BYTES_CEILING = 1024 * 1024;

    public static final int DEFAULT_MAX_DEPTH = 32;
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofMinutes(5);
    public static final int DEFAULT_DEDUP_MAX_ENTRIES = 100_000;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final String DEFAULT_SCHEMA_FOLDER = "conf/schemas";
    public static final String DEFAULT_DATABASE_PATH = "config-manager/config-manager";
    public static final int DEFAULT_AUDIT_MAX_ROWS = 1_000_000;
    public static final String DEFAULT_SECRETS_KEY_FILE = "config-manager/secret.key";

    public enum UnknownServicePolicy {
        ALLOW,
        REJECT
    }

    public static ExtensionSettings defaults() {
        return new ExtensionSettings(
                TopicLayout.DEFAULT,
                DEFAULT_MAX_PAYLOAD_BYTES,
                DEFAULT_MAX_DEPTH,
                DEFAULT_DEDUP_WINDOW,
                DEFAULT_DEDUP_MAX_ENTRIES,
                DEFAULT_REQUEST_TIMEOUT,
                DEFAULT_SCHEMA_FOLDER,
                UnknownServicePolicy.ALLOW,
                DEFAULT_DATABASE_PATH,
                DEFAULT_AUDIT_MAX_ROWS,
                HealthSettings.defaults(),
                AccessSettings.allowAll(),
                null,
                DEFAULT_SECRETS_KEY_FILE,
                ConsoleSettings.defaults(),
                null,
                SigningSettings.off(),
                DriftSettings.defaults());
    }

    /** These settings with other access rules. */
    public ExtensionSettings withAccess(final AccessSettings rules) {
        return new ExtensionSettings(
                topics,
                maxPayloadBytes,
                maxDepth,
                dedupWindow,
                dedupMaxEntries,
                requestTimeout,
                schemaFolder,
                unknownServicePolicy,
                databasePath,
                auditMaxRows,
                health,
                rules,
                secretsKey,
                secretsKeyFile,
                console,
                sharedDatabase,
                signing,
                drift);
    }

    public Path resolveDatabase(final Path brokerDataFolder) {
        return brokerDataFolder.resolve(databasePath).toAbsolutePath().normalize();
    }

    public Path resolveSecretsKeyFile(final Path brokerDataFolder) {
        return brokerDataFolder.resolve(secretsKeyFile).toAbsolutePath().normalize();
    }

    public Path resolveSchemaFolder(final Path extensionHome) {
        return extensionHome.resolve(schemaFolder).toAbsolutePath().normalize();
    }
}
