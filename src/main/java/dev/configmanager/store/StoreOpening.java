package dev.configmanager.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.SharedDatabase;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Opens the store the settings name, with secrets sealed. A store that cannot be opened does not stop the extension:
 * it is replaced by one that refuses writes and says why, and the operator is told in the log what to do.
 */
public final class StoreOpening {

    private static final Logger log = LoggerFactory.getLogger(StoreOpening.class);

    private StoreOpening() {}

    /** Why the store cannot be used now (it could not be opened, or is not open yet), or {@code null}. */
    public static @Nullable String problem(final ConfigStore store) {
        if (store instanceof UnavailableStore u) {
            return u.reason();
        }
        return store instanceof DeferredStore d ? d.reason() : null;
    }

    /**
     * @param secretLocations where a service's config holds secrets, from its schema
     */
    public static ConfigStore open(
            final ExtensionSettings settings,
            final Path dataFolder,
            final BiFunction<String, JsonNode, List<List<String>>> secretLocations) {
        final Path database = settings.resolveDatabase(dataFolder);
        final SecretCipher cipher;
        try {
            cipher = SecretCipher.load(settings.secretsKey(), settings.resolveSecretsKeyFile(dataFolder));
        } catch (final Exception e) {
            if (settings.secretsKey() != null) {
                // the message of a failed base64 decode can quote the key: never logged
                log.error("config-manager: <secrets><key> is not a base64 32-byte key. Config writes are rejected "
                        + "with store_unavailable until it is fixed; then restart the broker.");
            } else {
                log.error(
                        "config-manager: the secrets key {} cannot be read ({}). Config writes are rejected with "
                                + "store_unavailable until it is restored (or <secrets><key> is set); then restart the "
                                + "broker.",
                        settings.resolveSecretsKeyFile(dataFolder),
                        e.getMessage());
            }
            return new UnavailableStore("the secrets key cannot be read");
        }
        final SharedDatabase shared = settings.sharedDatabase();
        if (shared != null) {
            final DeferredStore.Opener opener = () -> SealedConfigStore.opened(
                    PostgresConfigStore.open(
                            shared.url(), shared.username(), shared.password(), settings.auditMaxRows()),
                    cipher,
                    secretLocations);
            try {
                return opener.open();
            } catch (final StoreUnavailableException e) {
                log.error(
                        "config-manager: {}. Config writes are rejected with store_unavailable and the retained "
                                + "config topics are served as they are; the database is tried again every {} s and "
                                + "used as soon as it can be. Check <database><url>, <username> and the password, and "
                                + "that the server accepts connections from this broker.",
                        e.getMessage(),
                        DeferredStore.RETRY_MILLIS / 1000);
                return new DeferredStore(
                        opener,
                        new DeferredStore.SessionOpener() {
                            @Override
                            public SharedPresence presence(final String node) {
                                return PostgresConfigStore.presence(
                                        shared.url(), shared.username(), shared.password(), node);
                            }

                            @Override
                            public PublisherRole publisherRole() {
                                return PostgresConfigStore.publisherRole(
                                        shared.url(), shared.username(), shared.password());
                            }
                        },
                        e.getMessage());
            }
        }
        try {
            return SealedConfigStore.opened(
                    H2ConfigStore.open(database, settings.auditMaxRows()), cipher, secretLocations);
        } catch (final StoreUnavailableException e) {
            log.error(
                    "config-manager: {}. Config writes are rejected with store_unavailable and the retained "
                            + "config topics are served as they are. Check that no other process uses {}.mv.db, "
                            + "that the broker may write to its folder, and restore the file from a backup if it is "
                            + "damaged; then restart the broker.",
                    e.getMessage(),
                    database);
            return new UnavailableStore(e.getMessage());
        }
    }
}
