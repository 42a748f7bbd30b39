package dev.configmanager.security;

import dev.configmanager.config.SigningSettings;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/** Opens the signing key the settings name and publishes its public half where services find it. */
public final class UpdateSigning {

    private static final Logger log = LoggerFactory.getLogger(UpdateSigning.class);

    private UpdateSigning() {}

    /**
     * The key, or {@code null} when signing is off or the key cannot be used. A key that is configured but unusable
     * does not stop the extension: updates then go out with {@code signature: null}, which every verifying service
     * refuses (it keeps its config), and the log says what to fix. The public key is written to
     * {@link SigningSettings#PUBLIC_KEY_FILE} under the data folder.
     */
    public static @Nullable SigningKey open(final SigningSettings settings, final Path dataFolder) {
        if (!settings.enabled()) {
            return null;
        }
        final Path keyFile = settings.resolveKeyFile(dataFolder);
        final SigningKey key;
        try {
            key = settings.privateKeyFile() != null ? SigningKey.read(keyFile) : SigningKey.generatedAt(keyFile);
        } catch (final IOException | GeneralSecurityException | RuntimeException e) {
            log.error(
                    "config-manager: the signing key {} cannot be used ({}): config/updated goes out unsigned, and "
                            + "services that verify signatures keep their current config. Give <signing>"
                            + "<private-key-file> an Ed25519 PKCS#8 PEM (openssl genpkey -algorithm ed25519), then "
                            + "restart the broker.",
                    keyFile,
                    e.getClass().getSimpleName());
            return null;
        }
        final Path publicFile = settings.resolvePublicKeyFile(dataFolder);
        try {
            Files.createDirectories(publicFile.getParent());
            Files.writeString(publicFile, key.publicKeyPem());
            log.info(
                    "config-manager: config/updated is signed with Ed25519; services pin the public key in {} (also "
                            + "at GET /api/signing-key)",
                    publicFile);
        } catch (final IOException e) {
            log.warn(
                    "config-manager: the signing public key could not be written to {} ({}); it is served at GET "
                            + "/api/signing-key",
                    publicFile,
                    e.toString());
        }
        return key;
    }
}
