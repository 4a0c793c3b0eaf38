package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.MoveFailure;
import dev.sluice.raft.ReplicaSetAdmin;
import dev.sluice.raft.ReplicaSetAdminException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Writes that reach a leader while it hands its leadership over are answered with the new leader ({@code 421},
 * which a client follows at once) rather than "no leader" ({@code 503}, after which a client backs off up to
 * 250 ms): Ratis refuses them as "stepping down" for the whole transfer, and the worker waits for its end. A
 * rolling restart moves every leadership twice, so each such refusal showed in the clients' p99.
 */
class WritesDuringATransferTest {

    private static final PartitionId PARTITION = PartitionId.of(0);

    @Test
    void aWriteRefusedDuringATransferIsRedirectedToTheNewLeader() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(1).replication(3).start();
                ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName());
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            String key = PartitionMoveTest.keysOf(cluster, PARTITION, 1).getFirst();
            cluster.client().put(key, "before");
            TestNode leader = cluster.leaderOf(PARTITION).orElseThrow();
            List<NodeConfig> members = cluster.metadata().nodes().current().workers();
            NodeId target = members.stream().map(NodeConfig::nodeId).filter(id -> !id.equals(leader.nodeId())).sorted().findFirst().orElseThrow();

            // One writer straight at the leader, as a client whose cached leader is that node.
            Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
            List<String> unavailable = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            URI uri = leader.url().resolve("/data/v1/kv/" + key);
            Thread writer = Thread.ofPlatform().name("writer").start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    try {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                                .PUT(HttpRequest.BodyPublishers.ofString("v" + i)).build(), HttpResponse.BodyHandlers.ofString());
                        answers.computeIfAbsent(response.statusCode(), code -> new AtomicInteger()).incrementAndGet();
                        if (response.statusCode() == 503) {
                            unavailable.add(response.body());
                        }
                        if (response.statusCode() == 421) {
                            return;
                        }
                    } catch (Exception failed) {
                        answers.computeIfAbsent(-1, code -> new AtomicInteger()).incrementAndGet();
                    }
                }
            });
            try {
                Awaitility.await("writes acknowledged by the leader").atMost(Duration.ofSeconds(10))
                        .until(() -> answers.getOrDefault(204, new AtomicInteger()).get() >= 20);
                try {
                    admin.transferLeadership(PARTITION, members, leader.nodeId(), target, Duration.ofSeconds(4));
                } catch (ReplicaSetAdminException elsewhere) {
                    // On a busy machine a member that missed heartbeats can win an election during the transfer: the
                    // leadership still moved away from the node written to, which is all this test needs.
                    if (!(elsewhere.failure() instanceof MoveFailure.AnotherLeaderElected)) {
                        throw elsewhere;
                    }
                }
                Awaitility.await("the writer redirected").atMost(Duration.ofSeconds(10)).until(() -> answers.containsKey(421));
            } finally {
                stop.set(true);
                writer.join(Duration.ofSeconds(10));
            }
            // A 503 is right only where the transfer outlasted the worker's wait for it (DataPath.HANDOVER_WAIT, which a
            // loaded machine can exceed): the write was refused by the leader stepping down, and no successor was known yet.
            assertThat(answers.keySet()).as("answers by status: %s", answers).contains(204, 421).isSubsetOf(204, 421, 503);
            assertThat(unavailable).as("503s").allSatisfy(body -> assertThat(body).contains("LeaderSteppingDownException"));
        }
    }
}
