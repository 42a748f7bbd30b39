package dev.configmanager.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The Ed25519 key that signs every {@code config/updated} message (the JDK's own Ed25519, no extra library), with its
 * public half as PEM (SubjectPublicKeyInfo) for services to pin.
 */
public final class SigningKey {

    /** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 key bytes follow. */
    private static final byte[] PUBLIC_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private SigningKey(final PrivateKey privateKey, final PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** The key in a PKCS#8 PEM file ({@code -----BEGIN PRIVATE KEY-----}), as {@code openssl genpkey} writes it. */
    public static SigningKey read(final Path pemFile) throws IOException, GeneralSecurityException {
        return fromPem(Files.readString(pemFile));
    }

    static SigningKey fromPem(final String pem) throws GeneralSecurityException {
        final PrivateKey key =
                KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pemBody(pem, "PRIVATE KEY")));
        final byte[] seed = ((EdECPrivateKey) key)
                .getBytes()
                .orElseThrow(() -> new GeneralSecurityException("the private key holds no Ed25519 seed"));
        return new SigningKey(key, publicKeyOf(seed));
    }

    /**
     * The key in {@code pemFile}, created there with owner-only permissions at first use. Two starts racing on a new
     * file both end with the one written first.
     */
    public static SigningKey generatedAt(final Path pemFile) throws IOException, GeneralSecurityException {
        if (!Files.exists(pemFile)) {
            final var pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            final String pem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
            Files.createDirectories(pemFile.toAbsolutePath().getParent());
            try {
                Files.createFile(
                        pemFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(pemFile, pem);
            } catch (final FileAlreadyExistsException e) {
                // another start won the race: its key is the one
            }
        }
        return read(pemFile);
    }

    /** Base64 of the Ed25519 signature over {@code message}. */
    public String sign(final byte[] message) {
        try {
            final Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK since 15", e);
        }
    }

    /** Whether {@code signature} (base64) is this key's over {@code message}. */
    public boolean signed(final byte[] message, final String signature) {
        try {
            final Signature s = Signature.getInstance("Ed25519");
            s.initVerify(publicKey);
            s.update(message);
            return s.verify(Base64.getDecoder().decode(signature));
        } catch (final IllegalArgumentException | SignatureException e) {
            return false;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK since 15", e);
        }
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The public key as PEM (SubjectPublicKeyInfo), what a service pins. */
    public String publicKeyPem() {
        return pem("PUBLIC KEY", publicKey.getEncoded());
    }

    private static String pem(final String label, final byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static byte[] pemBody(final String pem, final String label) throws GeneralSecurityException {
        final String begin = "-----BEGIN " + label + "-----";
        final String end = "-----END " + label + "-----";
        final int from = pem.indexOf(begin);
        final int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new GeneralSecurityException("not a PEM " + label + " (expected " + begin + ")");
        }
        try {
            return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (final IllegalArgumentException e) {
            throw new GeneralSecurityException("the PEM " + label + " is not base64");
        }
    }

    // ---- the public key of a seed (RFC 8032 §5.1.5): the JDK signs with a seed but does not derive its public key

    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger D = BigInteger.valueOf(-121_665)
            .multiply(BigInteger.valueOf(121_666).modInverse(P))
            .mod(P);
    private static final BigInteger[] BASE = {
        new BigInteger("15112221349535400772501151409588531511454012693041857206046113283949847762202"),
        new BigInteger("46316835694926478169428394003475163141307993866256225615783033603165251855960")
    };

    static PublicKey publicKeyOf(final byte[] seed) throws GeneralSecurityException {
        final byte[] h = MessageDigest.getInstance("SHA-512").digest(seed);
        final byte[] scalar = Arrays.copyOf(h, 32);
        scalar[0] &= (byte) 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        final BigInteger[] a = multiply(BASE, littleEndian(scalar));
        final byte[] encoded = toLittleEndian(a[1]);
        if (a[0].testBit(0)) {
            encoded[31] |= (byte) 0x80;
        }
        final byte[] der = Arrays.copyOf(PUBLIC_PREFIX, PUBLIC_PREFIX.length + 32);
        System.arraycopy(encoded, 0, der, PUBLIC_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }

    /** {@code k·point} on edwards25519, double and add in affine coordinates (once per start: speed is no concern). */
    private static BigInteger[] multiply(final BigInteger[] point, final BigInteger k) {
        BigInteger[] result = {BigInteger.ZERO, BigInteger.ONE};
        BigInteger[] addend = point;
        for (int i = 0; i < k.bitLength(); i++) {
            if (k.testBit(i)) {
                result = add(result, addend);
            }
            addend = add(addend, addend);
        }
        return result;
    }

    /** The twisted Edwards addition law for a = -1, complete on this curve. */
    private static BigInteger[] add(final BigInteger[] p, final BigInteger[] q) {
        final BigInteger xx = p[0].multiply(q[0]).mod(P);
        final BigInteger yy = p[1].multiply(q[1]).mod(P);
        final BigInteger dxxyy = D.multiply(xx).multiply(yy).mod(P);
        final BigInteger x = p[0].multiply(q[1])
                .add(p[1].multiply(q[0]))
                .multiply(BigInteger.ONE.add(dxxyy).modInverse(P))
                .mod(P);
        final BigInteger y = yy.add(xx)
                .multiply(BigInteger.ONE.subtract(dxxyy).modInverse(P))
                .mod(P);
        return new BigInteger[] {x, y};
    }

    private static BigInteger littleEndian(final byte[] bytes) {
        final byte[] big = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            big[i] = bytes[bytes.length - 1 - i];
        }
        return new BigInteger(1, big);
    }

    private static byte[] toLittleEndian(final BigInteger value) {
        final byte[] out = new byte[32];
        final byte[] big = value.toByteArray();
        for (int i = 0; i < big.length && i < 32; i++) {
            out[i] = big[big.length - 1 - i];
        }
        return out;
    }
}
