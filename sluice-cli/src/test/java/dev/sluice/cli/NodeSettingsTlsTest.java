package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.security.CertificateAuthority;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A server's TLS settings: all three or none, each file checked with the setting it came from, and no plain text off loopback. */
class NodeSettingsTlsTest {

    @TempDir
    Path certs;

    @BeforeEach
    void makeCertificates() {
        CertificateAuthority authority = CertificateAuthority.create("test", Duration.ofDays(2), InstantSource.system());
        authority.write(certs, false);
        authority.issue("node-1", List.of("10.0.0.11", "127.0.0.1"), Duration.ofDays(1), InstantSource.system()).write(certs, false);
    }

    private static Map<String, String> flags(String... keysAndValues) {
        Map<String, String> flags = new HashMap<>();
        flags.put("name", "node-1");
        flags.put("data-dir", "/var/lib/sluice");
        flags.put("embedded-zookeeper", "true");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            flags.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return flags;
    }

    private Map<String, String> tlsEnvironment() {
        return Map.of("SLUICE_TLS_CA", certs.resolve("ca.crt").toString(), "SLUICE_TLS_CERT", certs.resolve("node-1.crt").toString(),
                "SLUICE_TLS_KEY", certs.resolve("node-1.key").toString());
    }

    @Test
    void withoutTlsSettingsTheNodeRunsPlainOnLoopback() {
        for (String host : List.of("127.0.0.1", "127.0.0.2", "localhost", "::1")) {
            NodeSettings settings = NodeSettings.resolve(flags("http-host", host, "raft-host", host), Map.of(), Optional.empty());
            assertThat(settings.tls()).as(host).isEmpty();
        }
    }

    @Test
    void plainTextOffLoopbackIsRefusedNamingBothWaysOut() {
        assertThatThrownBy(() -> NodeSettings.resolve(flags("http-host", "10.0.0.11"), Map.of("SLUICE_RAFT_HOST", "0.0.0.0"), Optional.empty()))
                .isInstanceOfSatisfying(CliException.class, failure -> assertThat(failure.exitCode()).isEqualTo(CliException.USAGE))
                .hasMessage("refusing to start without TLS on an address other machines can reach: http-host 10.0.0.11 (from --http-host), raft-host 0.0.0.0"
                        + " (from SLUICE_RAFT_HOST). Either give the node a certificate with --tls-ca, --tls-cert and --tls-key (make them with 'sluice certs';"
                        + " see docs/security.md), or pass --insecure to run in plain text on a network you trust");
    }

    @Test
    void insecureAllowsPlainTextOffLoopback() {
        NodeSettings settings = NodeSettings.resolve(flags("http-host", "10.0.0.11", "raft-host", "10.0.0.11", "insecure", "true"), Map.of(), Optional.empty());

        assertThat(settings.tls()).isEmpty();
        assertThat(settings.insecure()).isTrue();
    }

    @Test
    void allThreeTlsSettingsFromTheEnvironmentTurnTlsOnOffLoopback() {
        NodeSettings settings = NodeSettings.resolve(flags("http-host", "10.0.0.11", "raft-host", "10.0.0.11"), tlsEnvironment(), Optional.empty());

        assertThat(settings.tls()).hasValueSatisfying(tls -> assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=node-1,O=Sluice"));
    }

    @Test
    void aMissingTlsSettingIsNamedWithTheOnesGiven() {
        assertThatThrownBy(() -> NodeSettings.resolve(flags("tls-ca", certs.resolve("ca.crt").toString()),
                Map.of("SLUICE_TLS_CERT", certs.resolve("node-1.crt").toString()), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("TLS needs all three of --tls-ca, --tls-cert and --tls-key, or none; got tls-ca (from --tls-ca) and tls-cert (from SLUICE_TLS_CERT)"
                        + " but not --tls-key (or their SLUICE_TLS_* variables or file settings)");
    }

    @Test
    void aBadTlsFileIsNamedWithItsSettingAndWhereItCameFrom() {
        Map<String, String> environment = new HashMap<>(tlsEnvironment());
        environment.put("SLUICE_TLS_KEY", certs.resolve("ca.key").toString());

        assertThatThrownBy(() -> NodeSettings.resolve(flags(), environment, Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("invalid tls-key (from SLUICE_TLS_KEY): " + certs.resolve("ca.key") + ": is not the private key of the certificate in "
                        + certs.resolve("node-1.crt") + " ('CN=node-1,O=Sluice')");
    }

    @Test
    void theServerCommandRefusesPlainTextOffLoopbackWithExitCodeTwo() {
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int exitCode = commandLine.execute("server", "--name", "exposed", "--data-dir", certs.resolve("data").toString(), "--zookeeper", "127.0.0.1:1",
                "--http-host", "10.0.0.11");

        assertThat(exitCode).isEqualTo(CliException.USAGE);
        assertThat(err.toString()).contains("refusing to start without TLS on an address other machines can reach: http-host 10.0.0.11 (from --http-host)",
                "--insecure");
        assertThat(certs.resolve("data")).doesNotExist();
    }
}
