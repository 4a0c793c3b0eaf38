package dev.sluice.testkit;

import static dev.sluice.testkit.ControllerDrainTest.explainingTimeout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.client.Workload;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.raft.RatisSettings;
import dev.sluice.wire.ReplicaStatus;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A worker killed (its process halted, its ZooKeeper session left to expire) stays away past the grace
 * period, so the controller replaces its replicas; then it comes back with its old data. Its old groups
 * are on disk for partitions that have moved on without it: every partition must still converge and none
 * may stay moving, and the client's writes may pause only for a failover.
 */
class WorkerComebackTest {

    /**
     * The longest a client may see no write acknowledged: the longest election timeout (a leader's death is
     * noticed and a new leader elected within it), plus a leadership transfer's deadline (a transfer the
     * controller started towards the worker just before it died fails by then), plus one status poll
     * interval and the client's retry to the new leader. Before moves were a typed protocol, transfers to
     * the dead worker held writes for 12–13 s.
     */
    static final Duration PAUSE_BOUND = RatisSettings.defaults().rpcTimeoutMax()
            .plus(dev.sluice.controller.ControllerConfig.DEFAULTS.leadershipTransferTimeout())
            .plus(Duration.ofSeconds(2));

    @Test
    void aWorkerWhoseReplicasWereReplacedComesBackWithItsOldDataAndEveryPartitionConverges() throws Exception {
        try (LocalTestCluster cluster = ControllerDrainTest.start(4, 12)) {
            Workload workload = ControllerDrainTest.load(cluster);
            int victimIndex = 1;
            NodeId victim = cluster.node(victimIndex).nodeId();
            await("writes acknowledged before the kill").atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

            workload.phase("killed");
            cluster.kill(victimIndex);
            explainingTimeout(cluster, () -> await("the dead worker's replicas replaced").atMost(Duration.ofMinutes(2))
                    .until(() -> ControllerDrainTest.settled(cluster)
                            && cluster.metadata().placements().readAll().values().stream().noneMatch(v -> v.placement().names(victim))));

            workload.phase("back");
            cluster.restart(victimIndex);
            explainingTimeout(cluster, () -> await("replicas balanced back onto the returning worker, every move finished")
                    .atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> ControllerDrainTest.settled(cluster)
                            && cluster.metadata().placements().readAll().values().stream().anyMatch(v -> v.placement().names(victim))
                            && everyGroupMatchesItsPlacement(cluster)));

            // Nothing stays moving: stable for a while, and the controller has nothing in flight.
            await("the controller reports no move").atMost(Duration.ofSeconds(30)).until(() -> new dev.sluice.controller.ControllerDocuments(
                    cluster.metadata()).status().map(status -> status.movesInFlight() == 0).orElse(false));
            ControllerDrainTest.assertNothingLost(cluster, workload);

            for (Workload.Stats stats : workload.allStats()) {
                System.out.println("WorkerComebackTest " + stats);
            }
            assertThat(workload.stats("killed").longestPauseMillis()).as("longest pause of acknowledged writes after the kill")
                    .isLessThanOrEqualTo(PAUSE_BOUND.toMillis());
            assertThat(workload.stats("back").longestPauseMillis()).as("longest pause of acknowledged writes after the return")
                    .isLessThanOrEqualTo(PAUSE_BOUND.toMillis());
        }
    }

    /** Every member of every placement's replica set hosts the group, and its leader's configuration is exactly that set. */
    private static boolean everyGroupMatchesItsPlacement(LocalTestCluster cluster) {
        for (var versioned : cluster.metadata().placements().readAll().values()) {
            Placement placement = versioned.placement();
            PartitionId partition = placement.partition();
            Optional<TestNode> leader = cluster.leaderOf(partition);
            if (leader.isEmpty()) {
                return false;
            }
            Optional<ReplicaStatus> status = leader.get().worker().replicaStatus(partition);
            if (status.isEmpty() || !new HashSet<>(status.get().configuration()).equals(new HashSet<>(placement.current()))) {
                return false;
            }
            for (NodeId member : placement.current()) {
                Optional<TestNode> node = cluster.node(member);
                if (node.isEmpty() || !node.get().isRunning() || !node.get().worker().hostedPartitions().contains(partition)) {
                    return false;
                }
            }
        }
        return true;
    }
}
