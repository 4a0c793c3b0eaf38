package dev.sluice.security;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A node certificate fresh from {@link CertificateAuthority#issue}, with its private key, until it is
 * {@linkplain #write written} to {@code <node>.crt} and {@code <node>.key}. Not a record: a record's
 * {@code toString} would print the key.
 */
public final class NodeCertificate {

    private final String node;
    private final X509Certificate certificate;
    private final PrivateKey key;

    NodeCertificate(String node, X509Certificate certificate, PrivateKey key) {
        this.node = Objects.requireNonNull(node, "node");
        this.certificate = Objects.requireNonNull(certificate, "certificate");
        this.key = Objects.requireNonNull(key, "key");
    }

    public String node() {
        return node;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The key, for handing to a TLS stack in the same process (tests, {@code sluice local}); never print it. */
    public PrivateKey key() {
        return key;
    }

    /**
     * Writes {@code <node>.crt} (readable by all) and {@code <node>.key} (owner-only) into the directory, creating it
     * if needed.
     *
     * @throws TlsFileException if a file exists and {@code overwrite} is false (then nothing is written), or cannot be written
     */
    public void write(Path dir, boolean overwrite) {
        Path certificateFile = TlsFiles.nodeCertificate(dir, node);
        Path keyFile = TlsFiles.nodeKey(dir, node);
        if (!overwrite) {
            Pem.checkAbsent(List.of(certificateFile, keyFile));
        }
        Pem.write(keyFile, Pem.privateKey(key), true, overwrite);
        Pem.write(certificateFile, Pem.certificates(List.of(certificate)), false, overwrite);
    }

    @Override
    public String toString() {
        return "NodeCertificate[" + node + ", " + Certificates.subject(certificate) + ", expires " + certificate.getNotAfter().toInstant() + "]";
    }
}
