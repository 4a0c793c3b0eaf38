package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import dev.sluice.client.wire.DataApi;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.security.CertificateAuthority;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.worker.HandoverReport;
import dev.sluice.security.ClusterTrust;
import dev.sluice.security.TlsFileException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A cluster whose nodes serve HTTPS with certificates of the cluster's CA (issue 15): a client that trusts that CA
 * reads and writes; a plain-HTTP client, a client that trusts another CA and one that trusts the JDK's default CAs are
 * refused before any request reaches the data API, so they change nothing. The controller's placements and the admin
 * API's member probes run over the same HTTPS between nodes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsClusterTest {

    static final String TOKEN = "tls-cluster-token";
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    LocalTestCluster cluster;
    HttpClient trusting;

    @BeforeAll
    void start() throws IOException {
        // With the control plane the controller places every partition, so the start waits on node-to-node HTTPS too.
        cluster = LocalTestCluster.builder().workers(3).partitions(6).replication(3).tls()
                .controlPlane(ControllerConfig.DEFAULTS, Optional.of(TOKEN)).start();
        trusting = HttpClient.newBuilder().sslContext(cluster.trust().orElseThrow().sslContext()).connectTimeout(REQUEST_TIMEOUT).build();
    }

    @AfterAll
    void stop() {
        if (trusting != null) {
            trusting.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyNodeAdvertisesAndServesHttps() throws Exception {
        List<NodeConfig> workers = cluster.metadata().nodes().current().workers();
        assertThat(workers).hasSize(3).allSatisfy(node -> assertThat(node.addresses().http().getScheme()).isEqualTo("https"));
        for (TestNode node : cluster.nodes()) {
            HttpResponse<String> ready = trusting.send(HttpRequest.newBuilder(node.url().resolve("/health/ready")).timeout(REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(node.name()).isEqualTo(200);
        }
    }

    @Test
    void aClientTrustingTheClusterCaWritesAndReads() {
        SluiceClient client = cluster.client();

        client.put("tls-trusted", "written over https");

        assertThat(client.getString("tls-trusted")).contains("written over https");
    }

    @Test
    void aClientGivenTheCaFileTrustsIt() throws Exception {
        Path directory = Files.createTempDirectory("sluice-tls-client-");
        try {
            cluster.certificateAuthority().orElseThrow().write(directory, false);
            SluiceClient client = cluster.client(SluiceClient.builder().trustedCa(directory.resolve("ca.crt")));

            client.put("tls-ca-file", "trusted from a file");

            assertThat(client.getString("tls-ca-file")).contains("trusted from a file");
            assertThatThrownBy(() -> SluiceClient.builder().trustedCa(directory.resolve("missing.crt")))
                    .isInstanceOf(TlsFileException.class)
                    .hasMessage(directory.resolve("missing.crt") + ": does not exist");
        } finally {
            LocalTestCluster.deleteRecursively(directory);
        }
    }

    @Test
    void thePartitionViewAsksEveryMemberOverHttps() throws Exception {
        HttpResponse<String> answer = trusting.send(HttpRequest.newBuilder(cluster.node(0).url().resolve("/api/v1/partitions/P0"))
                .header("Authorization", "Bearer " + TOKEN).timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode members = Json.mapper().readTree(answer.body()).path("members");
        assertThat(members).hasSize(3);
        // A member the API node could not ask over HTTPS would say why instead of its role.
        members.forEach(member -> assertThat(member.path("role").asText()).as(member.toString()).isIn("leader", "follower"));
    }

    @Test
    void aPlainHttpRequestToTheLeaderIsRefusedAndChangesNothing() throws Exception {
        String key = "tls-plain-http";
        HttpRequest.Builder write = writeToLeader(key, "plain text");
        URI https = write.build().uri();
        URI plain = URI.create("http://" + https.getRawAuthority() + https.getRawPath());

        try (HttpClient plainClient = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build()) {
            assertThatThrownBy(() -> plainClient.send(write.copy().uri(plain).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class);
        }

        assertThat(cluster.client().get(key)).isEmpty();
        // The same request over HTTPS, from a client that trusts the CA, is one the leader takes. The leadership can move
        // between looking the leader up and the write (the controller balances leaderships; a full build saw a 421 naming
        // the new leader): a 421 writes nothing, and the write is addressed to the leader again.
        HttpResponse<String> accepted = await("the leader takes the write over HTTPS").atMost(Duration.ofMinutes(1))
                .until(() -> trusting.send(writeToLeader(key, "plain text").build(), HttpResponse.BodyHandlers.ofString()),
                        answer -> answer.statusCode() != 421);
        assertThat(accepted.statusCode()).as(accepted.body()).isIn(200, 204);
        assertThat(cluster.client().getString(key)).contains("plain text");
    }

    @Test
    void aClientTrustingTheJdksDefaultCasIsRefusedAndChangesNothing() {
        String key = "tls-default-trust";
        try (HttpClient defaults = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build()) {
            assertThatThrownBy(() -> defaults.send(writeToLeader(key, "untrusted").build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
        }

        assertThat(cluster.client().get(key)).isEmpty();
    }

    @Test
    void aClientTrustingAnotherCaIsRefusedWithAMessageAboutTlsAndChangesNothing() {
        String key = "tls-other-ca";
        CertificateAuthority otherCa = CertificateAuthority.create("other", Duration.ofDays(1), InstantSource.system());
        SluiceClient stranger = cluster.client(SluiceClient.builder().tls(ClusterTrust.of(otherCa).sslContext())
                .firstRoutingWait(Duration.ZERO).callTimeout(Duration.ofSeconds(5)));

        assertThatThrownBy(() -> stranger.put(key, "from a stranger"))
                .isInstanceOfSatisfying(SluiceClientException.class, failure -> assertThat(failure.code()).isEqualTo(SluiceClientException.Code.NO_ROUTE))
                .hasMessageContaining("TLS failed")
                .hasMessageContaining("trustedCa");

        assertThat(cluster.client().get(key)).isEmpty();
    }

    /**
     * Last, since the node stays shut down: a shutting-down node asks each peer over HTTPS, with its own certificate,
     * whether it is ready before it hands it a leadership. A peer it could not ask would be named in {@code notMoved}.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void aShuttingDownNodeAsksItsPeersOverHttpsAndHandsThemItsLeaderships() {
        await("some node leads a partition").atMost(Duration.ofMinutes(1)).until(() -> cluster.nodes().stream().anyMatch(node -> !led(node).isEmpty()));
        TestNode victim = cluster.nodes().stream().max(Comparator.comparingInt((TestNode node) -> led(node).size())).orElseThrow();

        assertThat(victim.worker().beginShutdown("TlsClusterTest")).isTrue();
        HandoverReport report = victim.worker().handOverLeaderships();

        assertThat(report.notMoved()).as(report.summary()).isEmpty();
        assertThat(report.moved()).isNotEmpty().isEqualTo(report.led());
    }

    private static Set<PartitionId> led(TestNode node) {
        return node.worker().status().replicas().stream().filter(replica -> replica.role() == ReplicaRole.LEADER).map(ReplicaStatus::partition)
                .collect(Collectors.toSet());
    }

    /** A write of {@code key} as SluiceClient sends it, addressed to its partition's leader over HTTPS. */
    private HttpRequest.Builder writeToLeader(String key, String value) {
        SluiceClient client = cluster.client();
        PartitionId partition = client.partitionOf(key);
        // The start waited for every leader, but a leadership the controller balances, or an election on a busy
        // machine, leaves a group without one for a moment.
        URI leader = await(partition + " has a leader").atMost(Duration.ofMinutes(1))
                .until(() -> cluster.leaderOf(partition), Optional::isPresent).orElseThrow().url();
        // With the token, which the cluster's one credential needs for data too: only the transport is under test.
        return HttpRequest.newBuilder(leader.resolve(DataApi.KV_PATH + key))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(REQUEST_TIMEOUT)
                .header(DataApi.PARTITION_HEADER, partition.toString())
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofString(value, StandardCharsets.UTF_8));
    }
}
