package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.Json;
import dev.sluice.security.CertificateAuthority;
import dev.sluice.security.TlsFiles;
import dev.sluice.testkit.LocalTestCluster;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The CLI against a cluster that serves HTTPS: it reaches the cluster with the cluster's CA (from {@code --tls-ca}, or
 * as {@code sluice local} recorded it), and without it, with another CA or over plain HTTP it says what is wrong and
 * what to do, with exit code 3, and changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsCliTest {

    static final String TOKEN = "tls-cli-token";

    /** Made in {@link #start()}: a {@code @TempDir} field is not there yet when a per-class {@code @BeforeAll} runs. */
    Path directory;

    LocalTestCluster cluster;
    Path caFile;
    Path otherCaFile;
    String url;

    @BeforeAll
    void start() throws Exception {
        directory = Files.createTempDirectory("sluice-tls-cli-");
        cluster = LocalTestCluster.builder().workers(3).partitions(3).replication(3).tls()
                .controlPlane(ControllerConfig.DEFAULTS, Optional.of(TOKEN)).start();
        cluster.certificateAuthority().orElseThrow().write(directory.resolve("cluster"), false);
        caFile = TlsFiles.caCertificate(directory.resolve("cluster"));
        CertificateAuthority.create("other", Duration.ofDays(1), InstantSource.system()).write(directory.resolve("other"), false);
        otherCaFile = TlsFiles.caCertificate(directory.resolve("other"));
        url = cluster.node(0).url().toString();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        LocalTestCluster.deleteRecursively(directory);
    }

    @BeforeEach
    void useATemporaryHome() throws Exception {
        System.setProperty("sluice.home", Files.createTempDirectory(directory, "home-").toString());
    }

    @AfterEach
    void forgetTheTemporaryHome() {
        System.clearProperty("sluice.home");
    }

    @Test
    void commandsWithTheClusterCaListTheNodesAndChangeThem() throws Exception {
        CliRun list = CliRun.run("nodes", "list", "-o", "json", "--url", url, "--tls-ca", caFile.toString(), "--token", TOKEN);

        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(Json.mapper().readTree(list.out())).hasSize(3);

        CliRun drain = CliRun.run("nodes", "drain", "worker-3", "--dry-run", "--url", url, "--tls-ca", caFile.toString(), "--token", TOKEN);
        assertThat(drain.exitCode()).as(drain.err()).isIn(0, 1);
        assertThat(drain.out()).contains("Dry run: N3 (worker-3)");
    }

    @Test
    void theCaSluiceLocalRecordedIsTrustedWithoutAFlag() throws Exception {
        SluiceHome home = SluiceHome.ofEnvironment();
        Path tokenFile = Files.writeString(directory.resolve("token-" + System.nanoTime()), TOKEN + "\n", StandardCharsets.UTF_8);
        home.remember(cluster.nodes().stream().map(node -> node.url()).toList(), TOKEN, tokenFile, Optional.of(caFile));

        CliRun list = CliRun.run("nodes", "list", "-o", "json");
        CliRun put = CliRun.run("kv", "put", "tls-recorded", "over https");
        CliRun get = CliRun.run("kv", "get", "tls-recorded");

        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(put.exitCode()).as(put.err()).isZero();
        assertThat(get.exitCode()).as(get.err()).isZero();
        assertThat(get.out()).contains("over https");
    }

    @Test
    void withoutTheCaTheCliSaysWhereToGiveIt() {
        CliRun list = CliRun.run("nodes", "list", "--url", url);

        assertThat(list.exitCode()).isEqualTo(CliException.UNREACHABLE);
        assertThat(list.out()).isEmpty();
        assertThat(list.err()).startsWith("cannot reach the cluster at " + url + " over TLS: ")
                .contains("This CLI has no CA for this address and trusts only the JDK's default CAs: give the cluster's CA with --tls-ca FILE or SLUICE_TLS_CA");
    }

    @Test
    void anotherCaIsRefusedAndTheChangeIsNotMade() throws Exception {
        CliRun drain = CliRun.run("nodes", "drain", "worker-2", "--url", url, "--tls-ca", otherCaFile.toString(), "--token", TOKEN);

        assertThat(drain.exitCode()).isEqualTo(CliException.UNREACHABLE);
        assertThat(drain.err()).contains("over TLS: ").contains("This CLI trusts only the CA from --tls-ca " + otherCaFile + ": is it this cluster's CA?");
        assertThat(workerState("worker-2")).isEqualTo("active");
    }

    @Test
    void plainHttpToAnHttpsNodeSaysToUseHttps() throws Exception {
        URI https = URI.create(url);
        String plain = "http://" + https.getRawAuthority();

        CliRun drain = CliRun.run("nodes", "drain", "worker-2", "--url", plain, "--token", TOKEN);

        assertThat(drain.exitCode()).isEqualTo(CliException.UNREACHABLE);
        assertThat(drain.err()).contains("(if the cluster serves HTTPS, use an https:// address)");
        assertThat(workerState("worker-2")).isEqualTo("active");
    }

    @Test
    void anUnusableCaFileIsAUsageErrorNamingIt() throws Exception {
        Path notACa = Files.writeString(directory.resolve("not-a-ca.crt"), "hello\n");

        CliRun list = CliRun.run("nodes", "list", "--url", url, "--tls-ca", notACa.toString());

        assertThat(list.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(list.err().strip()).isEqualTo("cannot use the CA from --tls-ca " + notACa + ": " + notACa
                + ": holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
    }

    private String workerState(String name) throws Exception {
        // Reads need the token too: the cluster's one token is a credential with every scope.
        CliRun show = CliRun.run("nodes", "show", name, "-o", "json", "--url", url, "--tls-ca", caFile.toString(), "--token", TOKEN);
        assertThat(show.exitCode()).as(show.err()).isZero();
        JsonNode node = Json.mapper().readTree(show.out());
        return node.path("state").asText();
    }
}
