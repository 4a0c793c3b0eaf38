package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.security.TlsMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice certs}: what it writes and says, and that it never overwrites a key without {@code --force}. */
class CertsCommandTest {

    @TempDir
    Path dir;

    @Test
    void aCaAndANodeCertificateLoadAsTheServerLoadsThem() throws Exception {
        CliRun ca = CliRun.run("certs", "ca", "--dir", dir.toString(), "--cluster", "prod");
        CliRun node = CliRun.run("certs", "node", "node-1", "--host", "10.0.0.11", "--host", "node-1.example.com", "--dir", dir.toString());

        assertThat(ca.exitCode()).as(ca.err()).isZero();
        assertThat(ca.out()).contains("wrote " + dir.resolve("ca.crt") + " (CN=Sluice CA prod,O=Sluice, expires ")
                .contains("wrote " + dir.resolve("ca.key") + " (readable by you only; keep it off the nodes");
        assertThat(node.exitCode()).as(node.err()).isZero();
        assertThat(node.out()).contains("wrote " + dir.resolve("node-1.crt") + " (CN=node-1,O=Sluice, hosts 10.0.0.11, node-1.example.com, expires ")
                .contains("wrote " + dir.resolve("node-1.key") + " (readable by you only)")
                .contains("copy ca.crt, node-1.crt and node-1.key to node-1");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node-1.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key")))).isEqualTo("rw-------");
        TlsMaterial material = TlsMaterial.load(dir.resolve("ca.crt"), dir.resolve("node-1.crt"), dir.resolve("node-1.key"), InstantSource.system());
        assertThat(CertsCommand.hostsOf(material.certificate())).containsExactly("10.0.0.11", "node-1.example.com");
    }

    @Test
    void existingFilesAreNotOverwrittenWithoutForce() throws Exception {
        CliRun.run("certs", "ca", "--dir", dir.toString());
        CliRun.run("certs", "node", "node-1", "--host", "10.0.0.11", "--dir", dir.toString());
        byte[] caKey = Files.readAllBytes(dir.resolve("ca.key"));
        byte[] nodeKey = Files.readAllBytes(dir.resolve("node-1.key"));

        CliRun caAgain = CliRun.run("certs", "ca", "--dir", dir.toString());
        CliRun nodeAgain = CliRun.run("certs", "node", "node-1", "--host", "10.0.0.12", "--dir", dir.toString());

        assertThat(caAgain.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(caAgain.err().strip()).isEqualTo(dir.resolve("ca.crt") + ": already exists; nothing was written (--force replaces it)");
        assertThat(nodeAgain.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(nodeAgain.err().strip()).isEqualTo(dir.resolve("node-1.crt") + ": already exists; nothing was written (--force replaces it)");
        assertThat(Files.readAllBytes(dir.resolve("ca.key"))).isEqualTo(caKey);
        assertThat(Files.readAllBytes(dir.resolve("node-1.key"))).isEqualTo(nodeKey);

        CliRun renewed = CliRun.run("certs", "node", "node-1", "--host", "10.0.0.12", "--dir", dir.toString(), "--force");
        assertThat(renewed.exitCode()).as(renewed.err()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("node-1.key"))).isNotEqualTo(nodeKey);
        assertThat(renewed.out()).contains("hosts 10.0.0.12,");
    }

    @Test
    void aNodeCertificateWithoutACaSaysHowToMakeOne() {
        CliRun node = CliRun.run("certs", "node", "node-1", "--host", "10.0.0.11", "--dir", dir.toString());

        assertThat(node.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(node.err().strip()).isEqualTo("cannot issue with the CA in " + dir + ": " + dir.resolve("ca.crt") + ": does not exist (make one with 'sluice certs ca --dir "
                + dir + "')");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aHostThatIsNoAddressIsAUsageErrorAndWritesNothing() throws Exception {
        CliRun.run("certs", "ca", "--dir", dir.toString());

        CliRun wildcard = CliRun.run("certs", "node", "node-1", "--host", "0.0.0.0", "--dir", dir.toString());
        CliRun badName = CliRun.run("certs", "node", "../node-1", "--host", "10.0.0.11", "--dir", dir.toString());

        assertThat(wildcard.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(wildcard.err()).contains("'0.0.0.0' is the wildcard address, which no client dials");
        assertThat(badName.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(badName.err()).contains("a node name for certificate files must be");
        try (var files = Files.list(dir)) {
            assertThat(files.map(path -> path.getFileName().toString())).containsExactlyInAnyOrder("ca.crt", "ca.key");
        }
    }

    @Test
    void theHelpShowsHowToSetUpThreeMachines() {
        CliRun help = CliRun.run("certs", "--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("sluice certs ca --dir certs", "sluice certs node node-3 --host 10.0.0.13 --dir certs",
                "--tls-ca ca.crt --tls-cert node-1.crt --tls-key node-1.key");
        assertThat(List.of(help.out().split("\n"))).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(SluiceCommand.USAGE_WIDTH));
    }
}
