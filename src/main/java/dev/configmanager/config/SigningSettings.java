package dev.configmanager.config;

import org.jspecify.annotations.Nullable;

import java.nio.file.Path;

/**
 * How {@code config/updated} is signed ({@code <signing>}): with the Ed25519 key in a PKCS#8 PEM file, with a key the
 * extension generates at first start, or not at all (the default; {@code signature} is then {@code null}).
 *
 * @param privateKeyFile {@code <private-key-file>} (may be {@code ${ENV:NAME}}); relative paths resolve against the
 *                       broker's data folder. Takes precedence over {@code generate}.
 * @param generate       {@code <generate>true</generate>}: a key created owner-only under the data folder
 */
public record SigningSettings(@Nullable String privateKeyFile, boolean generate) {

    /** Where a generated key is kept, under the broker's data folder. */
    public static final String GENERATED_KEY_FILE = "config-manager/signing-key.pem";
    /** Where the public key is written for services to pin, under the broker's data folder. */
    public static final String PUBLIC_KEY_FILE = "config-manager/signing-public.pem";

    public static SigningSettings off() {
        return new SigningSettings(null, false);
    }

    public boolean enabled() {
        return privateKeyFile != null || generate;
    }

    /** The private key file: the configured one, or the generated one. */
    public Path resolveKeyFile(final Path brokerDataFolder) {
        return brokerDataFolder
                .resolve(privateKeyFile != null ? privateKeyFile : GENERATED_KEY_FILE)
                .toAbsolutePath()
                .normalize();
    }

    public Path resolvePublicKeyFile(final Path brokerDataFolder) {
        return brokerDataFolder.resolve(PUBLIC_KEY_FILE).toAbsolutePath().normalize();
    }

    static SigningSettings read(final XmlValues r) {
        final String file = r.optional("signing/private-key-file");
        final boolean generate = r.text(
                "signing/generate",
                Boolean.FALSE,
                s -> s.equalsIgnoreCase("true") ? Boolean.TRUE : s.equalsIgnoreCase("false") ? Boolean.FALSE : null);
        return new SigningSettings(file, generate);
    }
}
