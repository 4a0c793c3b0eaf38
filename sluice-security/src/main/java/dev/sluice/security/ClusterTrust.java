package dev.sluice.security;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a client of the cluster trusts: the cluster's CA certificates and nothing else — not the JDK's default roots,
 * so a certificate any public CA issued for a node's address is still refused.
 *
 * <p>The CA file may be a bundle of several CA certificates; during a CA rotation it holds the old and the new CA,
 * so nodes with certificates of either are trusted (docs/security.md, "Rotating certificates").
 */
public final class ClusterTrust {

    private final List<X509Certificate> authorities;
    private final X509ExtendedTrustManager trustManager;
    private final SSLContext sslContext;

    private ClusterTrust(List<X509Certificate> authorities) {
        this.authorities = List.copyOf(authorities);
        this.trustManager = trustManagerFor(this.authorities);
        this.sslContext = TlsMaterial.context(null, trustManager);
    }

    /**
     * Reads a PEM file of one or more CA certificates.
     *
     * @throws TlsFileException if the file is missing or not PEM certificates, a certificate in it is not a CA's, or
     *     one has expired
     */
    public static ClusterTrust load(Path caFile, InstantSource clock) {
        Objects.requireNonNull(clock, "clock");
        List<X509Certificate> authorities = Pem.readCertificates(caFile);
        for (X509Certificate authority : authorities) {
            Certificates.requireCa(caFile, authority);
            Certificates.requireCurrent(caFile, authority, clock);
        }
        return new ClusterTrust(authorities);
    }

    /** Trusts the given CA certificates, made or read in this process (tests, {@code sluice local}). */
    public static ClusterTrust of(List<X509Certificate> authorities) {
        if (authorities.isEmpty()) {
            throw new IllegalArgumentException("trusting no CA would refuse every server");
        }
        return new ClusterTrust(authorities);
    }

    public static ClusterTrust of(CertificateAuthority authority) {
        return of(List.of(authority.certificate()));
    }

    /** The trusted CA certificates, in the file's order. */
    public List<X509Certificate> authorities() {
        return authorities;
    }

    /** Accepts a peer only when its certificate chains to one of {@link #authorities()}. */
    public X509ExtendedTrustManager trustManager() {
        return trustManager;
    }

    /**
     * A context for clients that present no certificate: the CLI, {@code SluiceClient}, browsers' stand-ins in tests.
     * The JDK's HTTP client on top of it also checks that the server's certificate names the host it dialled.
     */
    public SSLContext sslContext() {
        return sslContext;
    }

    @Override
    public String toString() {
        return "ClusterTrust" + authorities.stream().map(Certificates::subject).toList();
    }

    private static X509ExtendedTrustManager trustManagerFor(List<X509Certificate> authorities) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("cluster-ca-" + i, authorities.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("BUG: the JDK's PKIX trust manager factory made no X.509 trust manager");
        } catch (GeneralSecurityException | java.io.IOException failed) {
            throw new IllegalStateException("BUG: the JDK cannot make a trust manager for the cluster CA: " + failed.getMessage(), failed);
        }
    }
}
