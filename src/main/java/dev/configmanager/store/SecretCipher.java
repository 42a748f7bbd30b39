package dev.configmanager.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with the JDK's own crypto, for secret config values at rest. Each value gets a fresh 96-bit nonce, and
 * the service and field it belongs to are bound in as associated data, so a sealed value cannot be moved elsewhere.
 */
public final class SecretCipher {

    private static final Logger log = LoggerFactory.getLogger(SecretCipher.class);
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final String keyId;
    private final SecureRandom random = new SecureRandom();

    SecretCipher(final byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("the secrets key must be " + KEY_BYTES + " bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
        this.keyId = idOf(key);
    }

    /**
     * Names the key without revealing it: the first 16 hex digits of SHA-256 over a fixed label and the key. An export
     * carries it, so that an import into a broker with another key is refused with a message that says so.
     */
    public String keyId() {
        return keyId;
    }

    private static String idOf(final byte[] key) {
        try {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("config-manager secrets key id\u0000".getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(key), 0, 8);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * The key from the configuration (base64), or else from {@code keyFile}, which is created with a new random key
     * and owner-only permissions at first start.
     */
    public static SecretCipher load(final String configuredKey, final Path keyFile) throws IOException {
        if (configuredKey != null) {
            return new SecretCipher(Base64.getDecoder().decode(configuredKey.trim()));
        }
        if (!Files.exists(keyFile)) {
            final byte[] fresh = new byte[KEY_BYTES];
            new SecureRandom().nextBytes(fresh);
            Files.createDirectories(keyFile.toAbsolutePath().getParent());
            try {
                Files.createFile(
                        keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(keyFile, Base64.getEncoder().encodeToString(fresh) + "\n");
                log.info(
                        "config-manager: generated the secrets key {} (owner-only); back it up with the database: "
                                + "secret config values cannot be read without it",
                        keyFile);
            } catch (final FileAlreadyExistsException e) {
                // another start won the race: use its key
            }
        }
        return new SecretCipher(
                Base64.getDecoder().decode(Files.readString(keyFile).trim()));
    }

    /** {@code base64(nonce ‖ ciphertext ‖ tag)}. */
    public String seal(final String plaintext, final String context) {
        try {
            final byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            final byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder()
                    .encodeToString(ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                            .put(nonce)
                            .put(sealed)
                            .array());
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    /** The size of a sealed value before base64: nonce, ciphertext (as long as the plaintext) and tag. */
    static long sealedBytes(final long plaintextBytes) {
        return NONCE_BYTES + plaintextBytes + TAG_BITS / 8;
    }

    /** The plaintext, or empty when the value was not sealed by this key for this context. */
    public Optional<String> open(final String sealed, final String context) {
        try {
            final byte[] bytes = Base64.getDecoder().decode(sealed);
            if (bytes.length <= NONCE_BYTES) {
                return Optional.empty();
            }
            final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return Optional.of(
                    new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8));
        } catch (final AEADBadTagException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }
}
