package dev.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.security.Handshake.ClientAuth;
import dev.sluice.security.Handshake.Outcome;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLException;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {

    private static final InstantSource NOW = InstantSource.system();
    private static final Duration YEAR = Duration.ofDays(365);

    @TempDir
    Path dir;

    private final CertificateAuthority clusterCa = CertificateAuthority.create("test", YEAR, NOW);
    private final CertificateAuthority otherCa = CertificateAuthority.create("other", YEAR, NOW);

    @Test
    void issuedFilesLoadBackWithTheNodesHostsAndBothUses() throws Exception {
        clusterCa.write(dir, false);
        clusterCa.issue("worker-1", List.of("127.0.0.1", "localhost", "node1.example.com", "127.0.0.1"), Duration.ofDays(30), NOW).write(dir, false);

        TlsMaterial material = TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.key"), NOW);

        X509Certificate certificate = material.certificate();
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=worker-1,O=Sluice");
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(clusterCa.certificate().getSubjectX500Principal());
        assertThat(certificate.getSubjectAlternativeNames()).containsExactly(
                List.of(7, "127.0.0.1"), List.of(2, "localhost"), List.of(2, "node1.example.com"));
        assertThat(certificate.getExtendedKeyUsage()).containsExactlyInAnyOrder(Certificates.SERVER_AUTH, Certificates.CLIENT_AUTH);
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        certificate.verify(clusterCa.certificate().getPublicKey());
        assertThat(material.trust().authorities()).containsExactly(clusterCa.certificate());
        // Only the cluster's CA, not the JDK's default roots.
        assertThat(material.trustManager().getAcceptedIssuers()).containsExactly(clusterCa.certificate());
        assertThat(material.toString()).contains("CN=worker-1").doesNotContain("PRIVATE");
    }

    @Test
    void keysAreOwnerOnlyAndCertificatesReadableByAll() throws Exception {
        clusterCa.write(dir, false);
        clusterCa.issue("worker-1", List.of("127.0.0.1"), Duration.ofDays(30), NOW).write(dir, false);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("worker-1.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.crt")))).isEqualTo("rw-r--r--");
        assertThat(Files.readString(dir.resolve("worker-1.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(dir.resolve("ca.crt"))).startsWith("-----BEGIN CERTIFICATE-----\n");
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(path -> path.getFileName().toString())).containsExactlyInAnyOrder("ca.crt", "ca.key", "worker-1.crt", "worker-1.key");
        }
    }

    @Test
    void aLoadedCaIssuesCertificatesTheOriginalCaTrusts() throws Exception {
        clusterCa.write(dir, false);
        CertificateAuthority loaded = CertificateAuthority.load(dir.resolve("ca.crt"), dir.resolve("ca.key"), NOW);
        loaded.issue("worker-2", List.of("127.0.0.1"), Duration.ofDays(30), NOW).write(dir, false);

        TlsMaterial material = TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-2.crt"), dir.resolve("worker-2.key"), NOW);

        assertThat(material.certificate().getIssuerX500Principal()).isEqualTo(clusterCa.certificate().getSubjectX500Principal());
    }

    @Test
    void writingOverExistingFilesIsRefusedAndChangesNothingUnlessAsked() throws Exception {
        clusterCa.write(dir, false);
        byte[] key = Files.readAllBytes(dir.resolve("ca.key"));
        byte[] certificate = Files.readAllBytes(dir.resolve("ca.crt"));

        assertThatThrownBy(() -> otherCa.write(dir, false))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("ca.crt") + ": already exists; nothing was written (--force replaces it)");
        assertThat(Files.readAllBytes(dir.resolve("ca.key"))).isEqualTo(key);
        assertThat(Files.readAllBytes(dir.resolve("ca.crt"))).isEqualTo(certificate);

        otherCa.write(dir, true);
        assertThat(CertificateAuthority.load(dir.resolve("ca.crt"), dir.resolve("ca.key"), NOW).certificate()).isEqualTo(otherCa.certificate());
    }

    @Test
    void nodesOfTheClusterCaShakeHandsBothWays() throws Exception {
        TlsMaterial server = node(clusterCa, "worker-1");
        TlsMaterial client = node(clusterCa, "worker-2");

        Outcome outcome = Handshake.run(server.sslContext(), ClientAuth.NEED, client.sslContext(), "127.0.0.1");

        assertThat(outcome.succeeded()).as("%s", outcome).isTrue();
        assertThat(outcome.clientSeenByServer()).isEqualTo("CN=worker-2,O=Sluice");
    }

    @Test
    void aClientWithOnlyTheCaReachesAServerThatWantsButDoesNotNeedACertificate() throws Exception {
        Outcome outcome = Handshake.run(node(clusterCa, "worker-1").sslContext(), ClientAuth.WANT, ClusterTrust.of(clusterCa).sslContext(), "127.0.0.1");

        assertThat(outcome.succeeded()).as("%s", outcome).isTrue();
        assertThat(outcome.clientSeenByServer()).isEqualTo("none");
    }

    @Test
    void aServerWithAnotherCasCertificateIsRefusedByTheClient() throws Exception {
        Outcome outcome = Handshake.run(node(otherCa, "intruder").sslContext(), ClientAuth.NONE, ClusterTrust.of(clusterCa).sslContext(), "127.0.0.1");

        assertThat(outcome.clientFailure()).isInstanceOf(SSLException.class);
        assertThat(outcome.serverFailure()).isNotNull();
    }

    @Test
    void aClientWithAnotherCasCertificateIsRefusedWhenClientAuthenticationIsRequired() throws Exception {
        TlsMaterial intruder = TlsMaterial.of(ClusterTrust.of(clusterCa), otherCa.issue("intruder", List.of("127.0.0.1"), YEAR.dividedBy(2), NOW));

        Outcome outcome = Handshake.run(node(clusterCa, "worker-1").sslContext(), ClientAuth.NEED, intruder.sslContext(), "127.0.0.1");

        assertThat(outcome.serverFailure()).isInstanceOf(SSLException.class);
        // The server's alert or its closed socket, whichever the client meets first: either way no answer came back.
        assertThat(outcome.clientFailure()).isInstanceOf(IOException.class);
    }

    @Test
    void aClientWithoutACertificateIsRefusedWhenClientAuthenticationIsRequired() throws Exception {
        Outcome outcome = Handshake.run(node(clusterCa, "worker-1").sslContext(), ClientAuth.NEED, ClusterTrust.of(clusterCa).sslContext(), "127.0.0.1");

        assertThat(outcome.serverFailure()).isInstanceOf(SSLException.class);
        // The server's alert or its closed socket, whichever the client meets first: either way no answer came back.
        assertThat(outcome.clientFailure()).isInstanceOf(IOException.class);
    }

    @Test
    void aServerCertificateForAnotherHostIsRefused() throws Exception {
        TlsMaterial elsewhere = TlsMaterial.of(ClusterTrust.of(clusterCa), clusterCa.issue("worker-9", List.of("10.9.8.7", "worker-9.example.com"), YEAR.dividedBy(2), NOW));

        Outcome outcome = Handshake.run(elsewhere.sslContext(), ClientAuth.NONE, ClusterTrust.of(clusterCa).sslContext(), "127.0.0.1");

        assertThat(outcome.clientFailure()).isInstanceOf(SSLException.class).hasMessageContaining("127.0.0.1");
    }

    @Test
    void aBundleOfTheOldAndTheNewCaTrustsNodesOfEither() throws Exception {
        Path bundle = dir.resolve("ca-bundle.crt");
        Files.writeString(bundle, Pem.certificates(List.of(clusterCa.certificate())) + "\n" + Pem.certificates(List.of(otherCa.certificate())));
        clusterCa.issue("old-node", List.of("127.0.0.1"), YEAR.dividedBy(2), NOW).write(dir, false);
        otherCa.issue("new-node", List.of("127.0.0.1"), YEAR.dividedBy(2), NOW).write(dir, false);

        TlsMaterial oldNode = TlsMaterial.load(bundle, dir.resolve("old-node.crt"), dir.resolve("old-node.key"), NOW);
        TlsMaterial newNode = TlsMaterial.load(bundle, dir.resolve("new-node.crt"), dir.resolve("new-node.key"), NOW);

        assertThat(oldNode.trust().authorities()).containsExactly(clusterCa.certificate(), otherCa.certificate());
        assertThat(Handshake.run(oldNode.sslContext(), ClientAuth.NEED, newNode.sslContext(), "127.0.0.1").succeeded()).isTrue();
        assertThat(Handshake.run(newNode.sslContext(), ClientAuth.NEED, oldNode.sslContext(), "127.0.0.1").succeeded()).isTrue();
    }

    // Bad input: each message names the file and says what is wrong, and none carries key material.

    @Test
    void aMissingFileIsNamed() {
        clusterCa.write(dir, false);
        Path missing = dir.resolve("worker-1.crt");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), missing, dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(missing + ": does not exist")
                .extracting(failure -> ((TlsFileException) failure).file()).isEqualTo(missing);
    }

    @Test
    void aKeyWhereACertificateBelongsIsRefusedWithoutShowingTheKey() throws Exception {
        writeNode(clusterCa, "worker-1");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.key"), dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("worker-1.key") + ": holds a private key where only certificates (-----BEGIN CERTIFICATE-----) belong")
                .satisfies(failure -> assertCarriesNoKeyMaterial(failure, dir.resolve("worker-1.key")));
    }

    @Test
    void aCertificateWhereTheKeyBelongsIsRefused() {
        writeNode(clusterCa, "worker-1");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.crt"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("worker-1.crt") + ": holds a certificate where an unencrypted PKCS#8 private key (-----BEGIN PRIVATE KEY-----) belongs");
    }

    @Test
    void aFileWithoutPemIsRefused() throws Exception {
        writeNode(clusterCa, "worker-1");
        Files.writeString(dir.resolve("ca.crt"), "this is not a certificate\n");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("ca.crt") + ": holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
    }

    @Test
    void aBrokenPemKeyIsRefusedWithoutShowingIt() throws Exception {
        writeNode(clusterCa, "worker-1");
        Path key = dir.resolve("worker-1.key");
        String pem = Files.readString(key);
        // Cut the key's body short: still PEM-framed, no longer DER.
        Files.writeString(key, pem.substring(0, 60) + "\n-----END PRIVATE KEY-----\n");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), key, NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessageStartingWith(key + ": ")
                .hasNoCause()
                .satisfies(failure -> assertCarriesNoKeyMaterial(failure, key));
    }

    @Test
    void aKeyInOpenSslsTraditionalFormatIsRefusedWithTheConversion() throws Exception {
        NodeCertificate node = writeNode(clusterCa, "worker-1");
        StringWriter traditional = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(traditional)) {
            writer.writeObject(node.key());
        }
        Files.writeString(dir.resolve("worker-1.key"), traditional.toString());

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessageContaining("OpenSSL's traditional format")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        writeNode(clusterCa, "worker-1");
        writeNode(clusterCa, "worker-2");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-2.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("worker-2.key") + ": is not the private key of the certificate in " + dir.resolve("worker-1.crt") + " ('CN=worker-1,O=Sluice')")
                .satisfies(failure -> assertCarriesNoKeyMaterial(failure, dir.resolve("worker-2.key")));
    }

    @Test
    void anExpiredCertificateIsRefused() {
        clusterCa.write(dir, false);
        Instant issuedAt = Instant.now().minus(Duration.ofDays(10));
        NodeCertificate stale = clusterCa.issue("worker-1", List.of("127.0.0.1"), Duration.ofDays(2), InstantSource.fixed(issuedAt));
        stale.write(dir, false);

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("worker-1.crt") + ": the certificate of 'CN=worker-1,O=Sluice' expired at " + stale.certificate().getNotAfter().toInstant()
                        + "; issue a new one (sluice certs)");
    }

    @Test
    void anExpiredCaIsRefused() {
        CertificateAuthority stale = CertificateAuthority.create("stale", Duration.ofDays(1), InstantSource.fixed(Instant.now().minus(Duration.ofDays(3))));
        stale.write(dir, false);

        assertThatThrownBy(() -> ClusterTrust.load(dir.resolve("ca.crt"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessageStartingWith(dir.resolve("ca.crt") + ": the certificate of 'CN=Sluice CA stale,O=Sluice' expired at ");
    }

    @Test
    void aCertificateAnotherCaSignedIsRefused() {
        clusterCa.write(dir, false);
        otherCa.issue("worker-1", List.of("127.0.0.1"), YEAR.dividedBy(2), NOW).write(dir, false);

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("worker-1.crt") + ": the certificate of 'CN=worker-1,O=Sluice' (issued by 'CN=Sluice CA other,O=Sluice') is not signed by the CA in "
                        + dir.resolve("ca.crt") + " ('CN=Sluice CA test,O=Sluice')");
    }

    @Test
    void aNodeCertificateGivenAsTheCaIsRefused() {
        writeNode(clusterCa, "worker-1");

        assertThatThrownBy(() -> TlsMaterial.load(dir.resolve("worker-1.crt"), dir.resolve("worker-1.crt"), dir.resolve("worker-1.key"), NOW))
                .isInstanceOf(TlsFileException.class)
                .hasMessage(dir.resolve("worker-1.crt") + ": holds the certificate of 'CN=worker-1,O=Sluice', which is not a CA certificate; the CA file is the CA's ca.crt, not a node's certificate");
    }

    @Test
    void issuingRefusesHostsNoClientCouldDialAndNamesThatCannotBeFiles() {
        assertThatThrownBy(() -> clusterCa.issue("worker-1", List.of("0.0.0.0"), YEAR.dividedBy(2), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'0.0.0.0' is the wildcard address");
        assertThatThrownBy(() -> clusterCa.issue("worker-1", List.of("no spaces.example"), YEAR.dividedBy(2), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("'no spaces.example' is neither an IP address nor a DNS name");
        assertThatThrownBy(() -> clusterCa.issue("worker-1", List.of(), YEAR.dividedBy(2), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one host");
        assertThatThrownBy(() -> clusterCa.issue("ca", List.of("127.0.0.1"), YEAR.dividedBy(2), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ca' cannot name a node");
        assertThatThrownBy(() -> clusterCa.issue("../etc/passwd", List.of("127.0.0.1"), YEAR.dividedBy(2), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a node name for certificate files");
        assertThatThrownBy(() -> clusterCa.issue("worker-1", List.of("127.0.0.1"), YEAR.multipliedBy(2), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("would outlive its CA");
    }

    @Test
    void ipv6AddressesBecomeIpSubjectAlternativeNames() throws Exception {
        X509Certificate certificate = clusterCa.issue("worker-1", List.of("::1", "[fd00::7]"), YEAR.dividedBy(2), NOW).certificate();

        assertThat(certificate.getSubjectAlternativeNames()).containsExactly(List.of(7, "0:0:0:0:0:0:0:1"), List.of(7, "fd00:0:0:0:0:0:0:7"));
    }

    private TlsMaterial node(CertificateAuthority authority, String name) {
        return TlsMaterial.of(ClusterTrust.of(authority), authority.issue(name, List.of("127.0.0.1", "localhost"), YEAR.dividedBy(2), NOW));
    }

    private NodeCertificate writeNode(CertificateAuthority authority, String name) {
        authority.write(dir, true);
        NodeCertificate node = authority.issue(name, List.of("127.0.0.1"), YEAR.dividedBy(2), NOW);
        node.write(dir, false);
        return node;
    }

    /** No line of the key file's base64 body, nor a long piece of it, appears in the message or any cause's. */
    private static void assertCarriesNoKeyMaterial(Throwable failure, Path keyFile) {
        List<String> bodyLines;
        try {
            bodyLines = Arrays.stream(new String(Files.readAllBytes(keyFile), StandardCharsets.US_ASCII).split("\n"))
                    .filter(line -> !line.startsWith("-----") && line.length() >= 16)
                    .toList();
        } catch (java.io.IOException unreadable) {
            throw new AssertionError(unreadable);
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            for (String line : bodyLines) {
                assertThat(message).doesNotContain(line.substring(0, 16));
            }
        }
    }
}
