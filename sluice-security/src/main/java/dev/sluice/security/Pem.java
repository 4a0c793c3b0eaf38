package dev.sluice.security;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reading and writing the PEM files. Parse errors are reported by what was found, never by echoing the file's
 * content, and without the parser's exception as a cause: a stack trace of a key file's parse error must not be
 * able to carry a piece of the key.
 */
final class Pem {

    /**
     * A certificate file or a CA bundle of a few dozen certificates is a few tens of kilobytes; anything past this
     * is not a TLS file, and reading it whole would only waste memory.
     */
    static final long FILE_SIZE_MAX_BYTES = 1 << 20;

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private Pem() {}

    /** Every certificate in the file, in order; the file must hold at least one and nothing else. */
    static List<X509Certificate> readCertificates(Path file) {
        List<Object> objects = readObjects(file);
        if (objects.isEmpty()) {
            throw new TlsFileException(file, "holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
        }
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object object : objects) {
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new TlsFileException(file, "holds " + describe(object) + " where only certificates (-----BEGIN CERTIFICATE-----) belong");
            }
            try {
                certificates.add(converter.getCertificate(holder));
            } catch (CertificateException unusable) {
                throw new TlsFileException(file, "holds a certificate the JDK cannot use: " + unusable.getMessage());
            }
        }
        return List.copyOf(certificates);
    }

    /** The one PKCS#8 private key the file holds. */
    static PrivateKey readPrivateKey(Path file) {
        List<Object> objects = readObjects(file);
        if (objects.size() != 1) {
            throw new TlsFileException(file, objects.isEmpty()
                    ? "holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)"
                    : "holds " + objects.size() + " PEM blocks where exactly one private key (-----BEGIN PRIVATE KEY-----) belongs");
        }
        Object object = objects.getFirst();
        if (object instanceof PEMKeyPair) {
            throw new TlsFileException(file, "holds a private key in OpenSSL's traditional format (-----BEGIN EC/RSA PRIVATE KEY-----); Sluice reads PKCS#8 "
                    + "(-----BEGIN PRIVATE KEY-----): convert it with 'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8'");
        }
        if (!(object instanceof PrivateKeyInfo info)) {
            throw new TlsFileException(file, "holds " + describe(object) + " where an unencrypted PKCS#8 private key (-----BEGIN PRIVATE KEY-----) belongs");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException unusable) {
            throw new TlsFileException(file, "holds a private key of an algorithm the JDK cannot use (" + info.getPrivateKeyAlgorithm().getAlgorithm() + ")");
        }
    }

    private static List<Object> readObjects(Path file) {
        String text;
        try {
            if (!Files.isRegularFile(file)) {
                throw new TlsFileException(file, Files.exists(file) ? "is not a regular file" : "does not exist");
            }
            if (Files.size(file) > FILE_SIZE_MAX_BYTES) {
                throw new TlsFileException(file, "is " + Files.size(file) + " bytes, more than a TLS file can be (" + FILE_SIZE_MAX_BYTES + ")");
            }
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException missing) {
            throw new TlsFileException(file, "does not exist");
        } catch (AccessDeniedException denied) {
            throw new TlsFileException(file, "cannot be read: permission denied");
        } catch (IOException unreadable) {
            throw new TlsFileException(file, "cannot be read (" + unreadable.getClass().getSimpleName() + ")");
        }
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                objects.add(object);
            }
        } catch (IOException | RuntimeException malformed) {
            // The parser's message may quote a block's type but the cause is dropped on purpose (see the class javadoc).
            throw new TlsFileException(file, "is not valid PEM: a block cannot be parsed (" + malformed.getClass().getSimpleName() + ")");
        }
        return objects;
    }

    private static String describe(Object object) {
        return switch (object) {
            case X509CertificateHolder ignored -> "a certificate";
            case PrivateKeyInfo ignored -> "a private key";
            case PEMKeyPair ignored -> "a private key";
            case PKCS8EncryptedPrivateKeyInfo ignored -> "an encrypted private key";
            case PEMEncryptedKeyPair ignored -> "an encrypted private key";
            case SubjectPublicKeyInfo ignored -> "a public key";
            case PKCS10CertificationRequest ignored -> "a certificate signing request";
            case X509CRLHolder ignored -> "a certificate revocation list";
            default -> "a PEM block of another kind";
        };
    }

    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static String certificates(List<X509Certificate> certificates) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                pem.append(encode("CERTIFICATE", certificate.getEncoded()));
            } catch (java.security.cert.CertificateEncodingException bug) {
                throw new IllegalStateException("BUG: a certificate Sluice holds cannot be encoded", bug);
            }
        }
        return pem.toString();
    }

    static String privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalStateException("BUG: a private key in format " + key.getFormat() + " where PKCS#8 was expected");
        }
        return encode("PRIVATE KEY", key.getEncoded());
    }

    /** Refuses up front when any of the files exists, so that nothing is written when one of them would be overwritten. */
    static void checkAbsent(List<Path> files) {
        for (Path file : files) {
            if (Files.exists(file)) {
                throw new TlsFileException(file, "already exists; nothing was written (--force replaces it)");
            }
        }
    }

    /**
     * Writes the file whole or not at all: into a temporary file of the same directory, created owner-only so a key
     * is never readable by others even for a moment, then renamed over the target.
     *
     * @param secret whether the content is a private key (the file stays owner-only) or public (readable by all)
     */
    static void write(Path file, String pem, boolean secret, boolean overwrite) {
        Path dir = file.toAbsolutePath().getParent();
        if (!overwrite && Files.exists(file)) {
            throw new TlsFileException(file, "already exists; nothing was written (--force replaces it)");
        }
        Path temporary = null;
        try {
            Files.createDirectories(dir);
            // createTempFile makes the file owner-only on POSIX file systems before anything is written into it.
            temporary = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            Files.writeString(temporary, pem, StandardCharsets.US_ASCII);
            if (posix(dir)) {
                Files.setPosixFilePermissions(temporary, secret ? OWNER_ONLY : WORLD_READABLE);
            }
            if (overwrite) {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(temporary, file);
            }
            temporary = null;
        } catch (IOException failed) {
            throw new TlsFileException(file, "cannot be written: " + failed.getClass().getSimpleName()
                    + (failed.getMessage() == null ? "" : " (" + failed.getMessage() + ")"));
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // The temporary file is owner-only; failing to delete it leaks nothing.
                }
            }
        }
    }

    private static boolean posix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
