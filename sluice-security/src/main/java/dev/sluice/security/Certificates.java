package dev.sluice.security;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The checks a loaded certificate or key must pass, each failing with a {@link TlsFileException} that names the file. */
final class Certificates {

    static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private Certificates() {}

    static String subject(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName();
    }

    static void requireCa(Path file, X509Certificate certificate) {
        if (certificate.getBasicConstraints() < 0) {
            throw new TlsFileException(file, "holds the certificate of '" + subject(certificate) + "', which is not a CA certificate; the CA file is the CA's "
                    + TlsFiles.CA_CERTIFICATE + ", not a node's certificate");
        }
    }

    static void requireCurrent(Path file, X509Certificate certificate, InstantSource clock) {
        try {
            certificate.checkValidity(Date.from(clock.instant()));
        } catch (CertificateExpiredException expired) {
            throw new TlsFileException(file, "the certificate of '" + subject(certificate) + "' expired at " + certificate.getNotAfter().toInstant()
                    + "; issue a new one (sluice certs)");
        } catch (CertificateNotYetValidException early) {
            throw new TlsFileException(file, "the certificate of '" + subject(certificate) + "' is not valid before " + certificate.getNotBefore().toInstant()
                    + "; is this machine's clock right?");
        }
    }

    /**
     * A node's certificate serves its HTTP and Raft ports and is presented when it calls other nodes, so it must be
     * good for both; no extended key usage at all means any use.
     */
    static void requireServerAndClientUse(Path file, X509Certificate certificate) {
        List<String> usages;
        try {
            usages = certificate.getExtendedKeyUsage();
        } catch (CertificateParsingException unreadable) {
            throw new TlsFileException(file, "the certificate's extended key usage cannot be read");
        }
        if (usages != null && !(usages.contains(SERVER_AUTH) && usages.contains(CLIENT_AUTH))) {
            throw new TlsFileException(file, "the certificate of '" + subject(certificate) + "' is not good for both TLS server and client authentication "
                    + "(extended key usage serverAuth and clientAuth), which a node needs to serve and to call its peers");
        }
    }

    /** Proves the key is the certificate's by signing a random challenge with one and checking it with the other. */
    static void requireMatchingKey(Path keyFile, PrivateKey key, Path certificateFile, X509Certificate certificate) {
        String certificateAlgorithm = certificate.getPublicKey().getAlgorithm();
        if (!certificateAlgorithm.equals(key.getAlgorithm())) {
            throw new TlsFileException(keyFile, "is a " + key.getAlgorithm() + " key, but the certificate in " + certificateFile + " has a " + certificateAlgorithm
                    + " key: it is not that certificate's key");
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new TlsFileException(keyFile, "is a " + key.getAlgorithm() + " key; Sluice uses EC, RSA or Ed25519 keys");
        };
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException unusable) {
            matches = false;
        }
        if (!matches) {
            throw new TlsFileException(keyFile, "is not the private key of the certificate in " + certificateFile + " ('" + subject(certificate) + "')");
        }
    }

    /**
     * Validates the chain (leaf first, then any intermediates) against the CAs as trust anchors, at the clock's time
     * and without revocation checks (a cluster CA publishes no revocation list; rotation replaces the CA instead).
     */
    static void requireIssuedBy(Path certificateFile, List<X509Certificate> chain, Path caFile, List<X509Certificate> cas, InstantSource clock) {
        Set<TrustAnchor> anchors = cas.stream().map(ca -> new TrustAnchor(ca, null)).collect(Collectors.toSet());
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
        } catch (CertPathValidatorException notIssued) {
            throw new TlsFileException(certificateFile, "the certificate of '" + subject(chain.getFirst()) + "' (issued by '"
                    + chain.getFirst().getIssuerX500Principal().getName() + "') is not signed by " + (cas.size() == 1 ? "the CA" : "any of the " + cas.size() + " CAs")
                    + " in " + caFile + " ('" + cas.stream().map(Certificates::subject).collect(Collectors.joining("', '")) + "')");
        } catch (GeneralSecurityException bug) {
            throw new IllegalStateException("BUG: the JDK cannot validate a certificate path: " + bug.getMessage(), bug);
        }
    }
}
