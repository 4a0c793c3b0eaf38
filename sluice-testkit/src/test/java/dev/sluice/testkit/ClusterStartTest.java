package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Done-when #1 — 4 workers, 24 partitions × 3 replicas, every worker activates itself, 10,000 keys
 * round-trip — and the data API's answers to bad input, on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterStartTest {

    static final int KEYS = 10_000;
    static final int CLIENT_THREADS = 32;
    static final Duration TIMEOUT = Duration.ofMinutes(2);
    static final ObjectMapper JSON = new ObjectMapper();

    LocalTestCluster cluster;
    HttpClient http;

    @BeforeAll
    void start() throws IOException {
        cluster = LocalTestCluster.builder().workers(4).partitions(24).replication(3).start();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void fourWorkersActivateThemselvesAndServeTenThousandKeys() {
        // Every worker went provisioning -> active by itself, recorded in the audit log with the node as actor.
        List<NodeConfig> workers = cluster.metadata().nodes().current().workers();
        assertThat(workers).hasSize(4).allMatch(node -> node.workerState() == WorkerState.ACTIVE);
        List<AuditRecord> audit = cluster.metadata().audit().read(-1, 1000);
        assertThat(audit).filteredOn(record -> record.to() == WorkerState.ACTIVE)
                .hasSize(4)
                .allMatch(record -> record.from() == WorkerState.PROVISIONING && record.actor() == Actor.NODE);

        // 24 partitions x 3 replicas = 72 replicas, 18 per worker, one leader each.
        for (TestNode node : cluster.nodes()) {
            assertThat(node.worker().status().replicas()).hasSize(18);
        }
        for (PartitionId partition : cluster.table().partitions()) {
            assertThat(cluster.leaderOf(partition)).as("leader of %s", partition).isPresent();
        }

        SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(1)));
        Concurrently.forEach(KEYS, CLIENT_THREADS, TIMEOUT, k -> client.put("key-" + k, "value-" + k));
        Concurrently.forEach(KEYS, CLIENT_THREADS, TIMEOUT, k -> assertThat(client.getString("key-" + k)).contains("value-" + k));
        assertThat(client.getString("never-written")).isEmpty();

        List<ReplicaStatus> replicas = cluster.nodes().stream().flatMap(node -> node.worker().status().replicas().stream()).toList();
        assertThat(replicas).hasSize(72);
        assertThat(replicas).filteredOn(status -> status.role() == ReplicaRole.LEADER).hasSize(24);
        assertThat(replicas).allMatch(status -> status.stateBytes() > 0 && status.configuration().size() == 3);
    }

    @Test
    void readinessFollowsTheLifecycleAndStatusIsServed() throws Exception {
        TestNode node = cluster.node(0);
        HttpResponse<String> ready = send(HttpRequest.newBuilder(node.url().resolve("/health/ready")).GET());
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(ready.body()).get("state").asText()).isEqualTo("active");
        assertThat(send(HttpRequest.newBuilder(node.url().resolve("/health/live")).GET()).statusCode()).isEqualTo(200);
        JsonNode status = JSON.readTree(send(HttpRequest.newBuilder(node.url().resolve("/internal/v1/status")).GET()).body());
        assertThat(status.get("state").asText()).isEqualTo("active");
        assertThat(status.get("replicas").size()).isEqualTo(18);
        assertThat(status.get("warmUp").findValuesAsText("check")).containsExactly("storage", "raft-server", "metadata-caught-up");
        RoutingInfo routing = JSON.readValue(send(HttpRequest.newBuilder(node.url().resolve("/data/v1/routing")).GET()).body(), RoutingInfo.class);
        assertThat(routing.partitions()).hasSize(24).allMatch(route -> route.members().size() == 3);
    }

    @Test
    void aNonLeaderRedirectsToTheLeader() throws Exception {
        String key = "redirect-me";
        PartitionId partition = cluster.table().partitionOf(key);
        TestNode leader = cluster.leaderOf(partition).orElseThrow();
        TestNode follower = cluster.nodes().stream().filter(n -> n != leader && n.worker().hostedPartitions().contains(partition)).findFirst().orElseThrow();
        TestNode stranger = cluster.nodes().stream().filter(n -> !n.worker().hostedPartitions().contains(partition)).findFirst().orElseThrow();
        for (TestNode notLeader : List.of(follower, stranger)) {
            HttpResponse<String> answer = send(HttpRequest.newBuilder(kv(notLeader.url(), key)).header("X-Sluice-Partition", partition.toString())
                    .PUT(HttpRequest.BodyPublishers.ofString("v")));
            assertThat(answer.statusCode()).as(notLeader.name()).isEqualTo(421);
            JsonNode body = JSON.readTree(answer.body());
            assertThat(body.get("error").asText()).isEqualTo("not-leader");
            assertThat(body.get("partition").asText()).isEqualTo(partition.toString());
            if (notLeader == follower) {
                assertThat(body.get("leader").asText()).isEqualTo(leader.nodeId().toString());
                assertThat(body.get("leaderUrl").asText()).isEqualTo(leader.url().toString());
            }
        }
        HttpResponse<String> direct = send(HttpRequest.newBuilder(kv(leader.url(), key)).PUT(HttpRequest.BodyPublishers.ofString("v")));
        assertThat(direct.statusCode()).isEqualTo(204);
    }

    @Test
    void badInputGetsAClearError() throws Exception {
        URI node = cluster.node(1).url();
        String key = "some-key";
        PartitionId right = cluster.table().partitionOf(key);
        PartitionId wrong = PartitionId.of((right.value() + 1) % 24);

        HttpResponse<String> wrongPartition = send(HttpRequest.newBuilder(kv(node, key)).header("X-Sluice-Partition", wrong.toString()).GET());
        assertThat(wrongPartition.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(wrongPartition.body()).get("error").asText()).isEqualTo("wrong-partition");
        assertThat(JSON.readTree(wrongPartition.body()).get("message").asText())
                .isEqualTo("the key belongs to " + right + ", not " + wrong + "; refresh the partition table");

        HttpResponse<String> unknown = send(HttpRequest.newBuilder(URI.create(kv(node, key) + "?partition=P99")).GET());
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(unknown.body()).get("error").asText()).isEqualTo("unknown-partition");
        assertThat(JSON.readTree(unknown.body()).get("message").asText())
                .isEqualTo("partition P99 does not exist; this cluster has 24 partitions (P0 to P23)");

        HttpResponse<String> tooLong = send(HttpRequest.newBuilder(kv(node, "k".repeat(1025))).GET());
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(tooLong.body()).get("error").asText()).isEqualTo("malformed-key");
        assertThat(JSON.readTree(tooLong.body()).get("message").asText()).isEqualTo("key is 1025 bytes; the limit is 1024");

        HttpResponse<String> empty = send(HttpRequest.newBuilder(node.resolve("/data/v1/kv/")).PUT(HttpRequest.BodyPublishers.ofString("v")));
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(empty.body()).get("error").asText()).isEqualTo("malformed-key");

        SluiceClient client = cluster.client();
        assertThatThrownBy(() -> client.put("", "v")).isInstanceOf(SluiceClientException.class)
                .hasMessage("malformed-key: key must not be empty (key '')")
                .extracting(e -> ((SluiceClientException) e).code()).isEqualTo(SluiceClientException.Code.MALFORMED_KEY);
        assertThatThrownBy(() -> client.put("big", new byte[600 * 1024])).isInstanceOf(SluiceClientException.class)
                .extracting(e -> ((SluiceClientException) e).code()).isEqualTo(SluiceClientException.Code.VALUE_TOO_LARGE);
        // Keys with spaces, slashes, plus signs and non-ASCII round-trip.
        for (String odd : List.of("a b", "a/b/c", "x+y", "ключ", "100%")) {
            client.put(odd, "value of " + odd);
            assertThat(client.getString(odd)).contains("value of " + odd);
        }
    }

    private static URI kv(URI node, String key) {
        return node.resolve("/data/v1/kv/" + key);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
