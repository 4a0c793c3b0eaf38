package dev.sluice.security;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority: an EC P-256 key pair and its self-signed certificate, which issues the node
 * certificates. Every node and client of the cluster trusts this CA and nothing else (see {@link ClusterTrust}).
 *
 * <p>A node certificate names the node in its subject ({@code CN=<node>, O=Sluice}), carries every host it binds
 * or is reached at as a subject alternative name (an IP address or a DNS name, which clients check the address
 * they dialled against), and is good for both TLS server and TLS client authentication, since a node serves its
 * peers and calls them.
 *
 * <p>Certificates start {@link #BACKDATE} before they are made, so a machine whose clock runs a little behind the
 * one that made them does not refuse them as not yet valid.
 */
public final class CertificateAuthority {

    /** How far back a certificate's validity starts: more than the clock skew between machines of one cluster. */
    public static final Duration BACKDATE = Duration.ofHours(1);
    /** Long enough to outlive the clusters it is made for; rotation (see docs/security.md) replaces it earlier. */
    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(10 * 365);
    /** Node certificates expire well before their CA, so they are rotated while the CA is trusted. */
    public static final Duration DEFAULT_NODE_VALIDITY = Duration.ofDays(2 * 365);

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final String CURVE = "secp256r1";
    /** DNS names as RFC 1123 allows them, with a wildcard only as the whole leftmost label. */
    private static final Pattern DNS_NAME = Pattern.compile("(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final SecureRandom random;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key, SecureRandom random) {
        this.certificate = certificate;
        this.key = key;
        this.random = random;
    }

    /**
     * Makes a new CA: a fresh key pair and a self-signed certificate {@code CN=Sluice CA <cluster>, O=Sluice},
     * valid from {@link #BACKDATE} before now for {@code validity}.
     *
     * @throws IllegalArgumentException if the validity is not positive or the cluster name is blank
     */
    public static CertificateAuthority create(String cluster, Duration validity, InstantSource clock) {
        Objects.requireNonNull(clock, "clock");
        if (cluster == null || cluster.isBlank()) {
            throw new IllegalArgumentException("a CA needs a cluster name for its subject");
        }
        requirePositive(validity, "CA validity");
        SecureRandom random = new SecureRandom();
        KeyPair pair = newKeyPair(random);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Sluice").addRDN(BCStyle.CN, "Sluice CA " + cluster).build();
        Instant now = clock.instant();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(random), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), subject, pair.getPublic())
                    // Path length 0: this CA signs node certificates only, never another CA.
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(sign(builder, pair.getPrivate()), pair.getPrivate(), random);
        } catch (GeneralSecurityException | CertIOException failed) {
            throw new IllegalStateException("BUG: the JDK cannot make a CA certificate: " + failed.getMessage(), failed);
        }
    }

    /**
     * Reads a CA written by {@link #write}, to issue more node certificates with it.
     *
     * @throws TlsFileException if a file is missing or not PEM of the right kind, the certificate is not a CA's or has
     *     expired, or the key is not the certificate's
     */
    public static CertificateAuthority load(Path certificateFile, Path keyFile, InstantSource clock) {
        List<X509Certificate> certificates = Pem.readCertificates(certificateFile);
        if (certificates.size() != 1) {
            throw new TlsFileException(certificateFile, "holds " + certificates.size() + " certificates; a CA to issue with is one certificate (a bundle is for trusting, not issuing)");
        }
        X509Certificate certificate = certificates.getFirst();
        Certificates.requireCa(certificateFile, certificate);
        Certificates.requireCurrent(certificateFile, certificate, clock);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        Certificates.requireMatchingKey(keyFile, key, certificateFile, certificate);
        return new CertificateAuthority(certificate, key, new SecureRandom());
    }

    /** The CA's certificate: what every node and client trusts. */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues a node certificate with a fresh key pair.
     *
     * @param node the node's name, its certificate's common name and its files' name
     * @param hosts every IP address and DNS name the node binds or is reached at (at least one); duplicates count once
     * @throws IllegalArgumentException if the name cannot name files, a host is neither an IP address nor a DNS name
     *     or is a wildcard address, there is no host, the validity is not positive, or the certificate would outlive the
     *     CA
     */
    public NodeCertificate issue(String node, Collection<String> hosts, Duration validity, InstantSource clock) {
        TlsFiles.checkNodeName(node);
        requirePositive(validity, "node certificate validity");
        Set<String> distinctHosts = new LinkedHashSet<>(hosts);
        if (distinctHosts.isEmpty()) {
            throw new IllegalArgumentException("a node certificate needs at least one host (an IP address or DNS name the node is reached at)");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String host : distinctHosts) {
            names.add(subjectAlternativeName(host));
        }
        Instant now = clock.instant();
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            throw new IllegalArgumentException("a node certificate valid until " + notAfter + " would outlive its CA, which expires " + certificate.getNotAfter().toInstant()
                    + "; ask for a shorter validity or make a new CA");
        }
        KeyPair pair = newKeyPair(random);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Sluice").addRDN(BCStyle.CN, node).build();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(random), Date.from(now.minus(BACKDATE)), Date.from(notAfter),
                    subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(certificate));
            return new NodeCertificate(node, sign(builder, key), pair.getPrivate());
        } catch (GeneralSecurityException | CertIOException failed) {
            throw new IllegalStateException("BUG: the JDK cannot make a node certificate: " + failed.getMessage(), failed);
        }
    }

    /**
     * Writes {@code ca.crt} (readable by all) and {@code ca.key} (owner-only) into the directory, creating it if needed.
     *
     * @throws TlsFileException if a file exists and {@code overwrite} is false (then nothing is written), or cannot be written
     */
    public void write(Path dir, boolean overwrite) {
        Path certificateFile = TlsFiles.caCertificate(dir);
        Path keyFile = TlsFiles.caKey(dir);
        if (!overwrite) {
            Pem.checkAbsent(List.of(certificateFile, keyFile));
        }
        Pem.write(keyFile, Pem.privateKey(key), true, overwrite);
        Pem.write(certificateFile, Pem.certificates(List.of(certificate)), false, overwrite);
    }

    /** Names the CA by its subject and expiry; never its key. */
    @Override
    public String toString() {
        return "CertificateAuthority[" + certificate.getSubjectX500Principal().getName() + ", expires " + certificate.getNotAfter().toInstant() + "]";
    }

    private static GeneralName subjectAlternativeName(String host) {
        Objects.requireNonNull(host, "host");
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (IPV4.matcher(literal).matches() || literal.contains(":")) {
            if (literal.equals("0.0.0.0") || literal.equals("::") || literal.equals("0:0:0:0:0:0:0:0")) {
                throw new IllegalArgumentException("'" + host + "' is the wildcard address, which no client dials; name the addresses the node is reached at");
            }
            try {
                // Parses the literal itself, with no name lookup; rejects 300.1.1.1 and other non-addresses.
                return new GeneralName(GeneralName.iPAddress, literal);
            } catch (IllegalArgumentException notAnAddress) {
                throw new IllegalArgumentException("'" + host + "' is not an IP address", notAnAddress);
            }
        }
        if (!DNS_NAME.matcher(literal).matches() || literal.length() > 253) {
            throw new IllegalArgumentException("'" + host + "' is neither an IP address nor a DNS name");
        }
        return new GeneralName(GeneralName.dNSName, literal);
    }

    private static KeyPair newKeyPair(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), random);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException failed) {
            throw new IllegalStateException("BUG: the JDK cannot make an EC P-256 key pair", failed);
        }
    }

    /** Random 127-bit serials, positive as RFC 5280 wants, so two certificates of one CA never share one. */
    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException failed) {
            throw new GeneralSecurityException("cannot sign with " + SIGNATURE_ALGORITHM, failed);
        }
    }

    private static void requirePositive(Duration validity, String what) {
        Objects.requireNonNull(validity, what);
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + validity);
        }
    }
}
