package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.client.SluiceClient;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.ReplicaStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Done-when #3: a worker killed and restarted keeps its plain id, gets a new generation, rejoins its
 * groups and catches up with what was written while it was down.
 */
class WorkerRestartTest {

    static final int KEYS_BEFORE = 400;
    static final int KEYS_WHILE_DOWN = 400;
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void killedWorkerRestartsWithItsIdAndCatchesUp() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(8).replication(3).sessionTimeout(Duration.ofSeconds(3)).start()) {
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(7)));
            Concurrently.forEach(KEYS_BEFORE, 8, TIMEOUT, k -> client.put("before-" + k, "b" + k));

            TestNode victim = cluster.node(1);
            GenerationalNodeId before = victim.worker().self().orElseThrow().id();
            Set<PartitionId> hosted = victim.worker().hostedPartitions();
            assertThat(hosted).isNotEmpty();

            cluster.kill(1);
            // The cluster keeps serving with two of three replicas; the client routes around the dead node.
            Concurrently.forEach(KEYS_WHILE_DOWN, 8, TIMEOUT, k -> client.put("down-" + k, "d" + k));

            cluster.restart(1);
            GenerationalNodeId after = victim.worker().self().orElseThrow().id();
            assertThat(after.id()).isEqualTo(before.id());
            assertThat(after.generation()).isEqualTo(before.generation() + 1);
            assertThat(cluster.metadata().nodes().current().find(before.id()).orElseThrow().workerState()).isEqualTo(WorkerState.ACTIVE);
            cluster.awaitAllActive(Duration.ofSeconds(30));

            // It rejoins every group it held (found on disk) and catches up with what it missed.
            assertThat(victim.worker().hostedPartitions()).isEqualTo(hosted);
            Awaitility.await("restarted replicas caught up").atMost(Duration.ofSeconds(30)).until(() -> hosted.stream().allMatch(partition -> {
                Optional<TestNode> leader = cluster.leaderOf(partition);
                Optional<ReplicaStatus> mine = victim.worker().replicaStatus(partition);
                return leader.isPresent() && mine.isPresent() && mine.get().lag() == 0
                        && mine.get().appliedIndex() >= leader.get().worker().replicaStatus(partition).orElseThrow().commitIndex();
            }));
            NodeId victimId = after.id();
            assertThat(victim.worker().status().replicas()).allMatch(status -> status.configuration().contains(victimId));

            Concurrently.forEach(KEYS_BEFORE, 8, TIMEOUT, k -> assertThat(client.getString("before-" + k)).contains("b" + k));
            Concurrently.forEach(KEYS_WHILE_DOWN, 8, TIMEOUT, k -> assertThat(client.getString("down-" + k)).contains("d" + k));
        }
    }

    /**
     * A restart during a ZooKeeper outage longer than the connection timeout (5 s here): the node waits for
     * the store and starts once it answers. A chaos run found nodes restarted during a quorum loss exiting
     * with status 1 after one connection timeout.
     */
    @Test
    void aWorkerRestartedWhileZooKeeperIsUnreachableStartsOnceItAnswers() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(4).replication(3).sessionTimeout(Duration.ofSeconds(3)).start()) {
            TestNode victim = cluster.node(2);
            GenerationalNodeId before = victim.worker().self().orElseThrow().id();
            cluster.kill(2);
            long restarting = System.nanoTime();
            cluster.restartWhileMetadataUnreachable(2, Duration.ofSeconds(8));
            Duration took = Duration.ofNanos(System.nanoTime() - restarting);
            System.out.printf("WorkerRestartTest: started %.1f s after the restart began, ZooKeeper unreachable for the first 8 s%n", took.toMillis() / 1e3);
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(8));
            GenerationalNodeId after = victim.worker().self().orElseThrow().id();
            assertThat(after.id()).isEqualTo(before.id());
            assertThat(after.generation()).isEqualTo(before.generation() + 1);
            cluster.awaitAllActive(Duration.ofSeconds(30));
        }
    }
}
