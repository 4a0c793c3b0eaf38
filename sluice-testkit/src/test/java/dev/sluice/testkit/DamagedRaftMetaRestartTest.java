package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.client.SluiceClient;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What a full disk leaves behind when a term change is written during it: Ratis 3.3 replaces the division's
 * {@code raft-meta} with an empty file, and a Raft server with one such group refuses to start at all. The
 * worker must start anyway, the damaged replica must follow its leader again (under the leader it had: a
 * replica recreated empty never catches up there, since Ratis never lowers a follower's match index), and
 * nothing written may be lost.
 */
class DamagedRaftMetaRestartTest {

    static final int KEYS = 300;
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aWorkerWithAnEmptiedRaftMetaStartsAndItsReplicaFollowsItsLeaderAgain() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(8).replication(3).sessionTimeout(Duration.ofSeconds(3)).start()) {
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(3)));
            Concurrently.forEach(KEYS, 8, TIMEOUT, k -> client.put("k-" + k, "v" + k));

            TestNode node = cluster.node(2);
            Set<PartitionId> hosted = node.worker().hostedPartitions();
            PartitionId damaged = hosted.iterator().next();
            Path raftMeta = node.worker().partitionDirectory(damaged).resolve("current").resolve("raft-meta");
            cluster.stop(2);
            assertThat(raftMeta).as("written at the group's first election").exists();
            Files.write(raftMeta, new byte[0]);

            cluster.restart(2);
            cluster.awaitAllActive(TIMEOUT);
            try {
                Awaitility.await("every replica of the restarted worker serves and caught up").atMost(TIMEOUT).until(() -> hosted.stream().allMatch(partition -> {
                    Optional<ReplicaStatus> mine = node.worker().replicaStatus(partition);
                    Optional<TestNode> leader = cluster.leaderOf(partition);
                    return mine.isPresent() && leader.isPresent() && mine.get().role() != ReplicaRole.STAGING && mine.get().lag() == 0
                            && mine.get().appliedIndex() >= leader.get().worker().replicaStatus(partition).orElseThrow().commitIndex();
                }));
            } catch (org.awaitility.core.ConditionTimeoutException timeout) {
                throw new AssertionError(timeout.getMessage() + " (damaged: " + damaged + ")\n" + DiskFullTest.describe(cluster, node, hosted), timeout);
            }
            assertThat(node.worker().hostedPartitions()).isEqualTo(hosted);
            assertThat(Files.size(raftMeta)).as("the mended group wrote its term again").isPositive();

            Concurrently.forEach(KEYS, 8, TIMEOUT, k -> assertThat(client.getString("k-" + k)).contains("v" + k));
        }
    }
}
