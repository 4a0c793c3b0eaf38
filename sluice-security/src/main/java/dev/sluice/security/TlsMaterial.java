package dev.sluice.security;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A node's TLS material: the cluster's {@link ClusterTrust} and the node's own certificate and key, checked
 * together when loaded, as the JDK's TLS stack (and gRPC's, through {@link #keyManager()} and {@link #trustManager()})
 * takes them. The same context serves the node's ports and presents the node's certificate when it calls its peers.
 *
 * <p>Immutable. Holds the private key; {@link #toString()} names only the certificate.
 */
public final class TlsMaterial {

    /**
     * Protects the key inside an in-memory key store that never leaves this object; not a secret, since anyone who
     * can read this object's memory can read the key itself.
     */
    private static final char[] IN_MEMORY_STORE_PASSWORD = "sluice-in-memory".toCharArray();

    private final ClusterTrust trust;
    private final List<X509Certificate> chain;
    private final X509ExtendedKeyManager keyManager;
    private final SSLContext sslContext;

    private TlsMaterial(ClusterTrust trust, List<X509Certificate> chain, PrivateKey key) {
        this.trust = trust;
        this.chain = List.copyOf(chain);
        this.keyManager = keyManagerFor(this.chain, key);
        this.sslContext = context(keyManager, trust.trustManager());
    }

    /**
     * Reads and cross-checks the three files.
     *
     * @param caFile one or more PEM CA certificates (see {@link ClusterTrust#load})
     * @param certificateFile the node's PEM certificate, optionally followed by intermediate CA certificates
     * @param keyFile the node's PKCS#8 PEM private key
     * @throws TlsFileException naming the file at fault: missing or unreadable, not the PEM it should be, an expired
     *     certificate, a certificate not good for server and client authentication, a certificate no CA of the CA file
     *     signed, or a key that is not the certificate's
     */
    public static TlsMaterial load(Path caFile, Path certificateFile, Path keyFile, InstantSource clock) {
        ClusterTrust trust = ClusterTrust.load(caFile, clock);
        List<X509Certificate> chain = Pem.readCertificates(certificateFile);
        X509Certificate leaf = chain.getFirst();
        Certificates.requireCurrent(certificateFile, leaf, clock);
        Certificates.requireServerAndClientUse(certificateFile, leaf);
        Certificates.requireIssuedBy(certificateFile, chain, caFile, trust.authorities(), clock);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        Certificates.requireMatchingKey(keyFile, key, certificateFile, leaf);
        return new TlsMaterial(trust, chain, key);
    }

    /** A node's material made in this process ({@code sluice local}, tests); trusts the given CA. */
    public static TlsMaterial of(ClusterTrust trust, NodeCertificate node) {
        Objects.requireNonNull(trust, "trust");
        return new TlsMaterial(trust, List.of(node.certificate()), node.key());
    }

    public ClusterTrust trust() {
        return trust;
    }

    /** The node's certificate. */
    public X509Certificate certificate() {
        return chain.getFirst();
    }

    /** Presents the node's certificate, to clients when serving and to servers when calling them. */
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** Accepts only peers whose certificate chains to the cluster's CA; the same as {@code trust().trustManager()}. */
    public X509ExtendedTrustManager trustManager() {
        return trust.trustManager();
    }

    /** For servers and for node-to-node clients: presents the node's certificate and trusts only the cluster's CA. */
    public SSLContext sslContext() {
        return sslContext;
    }

    @Override
    public String toString() {
        return "TlsMaterial[" + Certificates.subject(certificate()) + ", expires " + certificate().getNotAfter().toInstant() + ", trusting " + trust + "]";
    }

    static SSLContext context(KeyManager keyManager, X509ExtendedTrustManager trustManager) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManager == null ? null : new KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
            return context;
        } catch (GeneralSecurityException failed) {
            throw new IllegalStateException("BUG: the JDK cannot make a TLS context: " + failed.getMessage(), failed);
        }
    }

    private static X509ExtendedKeyManager keyManagerFor(List<X509Certificate> chain, PrivateKey key) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("node", key, IN_MEMORY_STORE_PASSWORD, chain.toArray(X509Certificate[]::new));
            // PKIX (not SunX509) picks the certificate by key usage and validity, as servers and clients need.
            KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
            factory.init(store, IN_MEMORY_STORE_PASSWORD);
            for (KeyManager manager : factory.getKeyManagers()) {
                if (manager instanceof X509ExtendedKeyManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("BUG: the JDK's PKIX key manager factory made no X.509 key manager");
        } catch (GeneralSecurityException | IOException failed) {
            throw new IllegalStateException("BUG: the JDK cannot hold the node's key in a key store: " + failed.getClass().getSimpleName(), failed);
        }
    }
}
