package io.commercechat.mesh;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/**
 * Development secrets of the local mesh, made once and then kept (a new receipt key would orphan the
 * receipts already issued, a new token key would make stored bank tokens unreadable, a new person_ref key
 * would change every person's pairwise reference). They protect nothing real and never leave {@code .mesh/}.
 */
final class DevSecrets {

    static final String RECEIPT_KEY_FILE = "receipts-signing.jwk";
    static final String RECEIPT_KEY_ID = "receipts-dev-1";
    static final String TOKEN_KEY_FILE = "account-link-token.key";
    static final String PERSON_REF_KEY_FILE = "chat-person-ref.key";

    private static final SecureRandom RANDOM = new SecureRandom();

    private DevSecrets() {
    }

    static void createMissing(Path dir) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        writeOnce(dir.resolve(RECEIPT_KEY_FILE), DevSecrets::receiptSigningJwk);
        writeOnce(dir.resolve(TOKEN_KEY_FILE), () -> randomBase64(32));
        writeOnce(dir.resolve(PERSON_REF_KEY_FILE), () -> randomBase64(32));
    }

    /** An ES256 signing key as a private JWK: P-256 coordinates and scalar, 32 bytes each, base64url. */
    static String receiptSigningJwk() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        KeyPair pair = generator.generateKeyPair();
        ECPublicKey pub = (ECPublicKey) pair.getPublic();
        ECPrivateKey priv = (ECPrivateKey) pair.getPrivate();
        return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"" + RECEIPT_KEY_ID + "\",\"use\":\"sig\",\"alg\":\"ES256\""
                + ",\"x\":\"" + base64Url32(pub.getW().getAffineX()) + "\""
                + ",\"y\":\"" + base64Url32(pub.getW().getAffineY()) + "\""
                + ",\"d\":\"" + base64Url32(priv.getS()) + "\"}";
    }

    /** The unsigned big-endian value, left-padded with zeros to 32 bytes (RFC 7518 §6.2.1.2 and §6.2.2.1). */
    static String base64Url32(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] fixed = new byte[32];
        int skip = raw.length > 32 ? raw.length - 32 : 0; // toByteArray may add a leading 0 sign byte
        if (raw.length - skip > 32 || (skip > 0 && raw[0] != 0)) {
            throw new IllegalArgumentException("value does not fit into 32 bytes");
        }
        System.arraycopy(raw, skip, fixed, 32 - (raw.length - skip), raw.length - skip);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fixed);
    }

    private static String randomBase64(int bytes) {
        byte[] key = new byte[bytes];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    private interface Secret {
        String create() throws GeneralSecurityException;
    }

    private static void writeOnce(Path file, Secret secret) throws IOException, GeneralSecurityException {
        if (Files.exists(file)) {
            System.out.println("kept    " + file);
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, secret.create() + "\n", StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException raced) {
            Files.deleteIfExists(tmp);
        }
        System.out.println("created " + file);
    }
}
