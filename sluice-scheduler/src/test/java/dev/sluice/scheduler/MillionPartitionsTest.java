package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A table of a million partitions is placed, and a drain at that size is driven to its end by an {@link
 * IncrementalScheduler} the way the controller drives one — each pass's changes written as under way, completed by the
 * next pass — with exactly the minimum of moves. 3,000 workers keep it short (the leader balancing's search grows with
 * the leaderships a worker holds, docs/benchmarks.md); the fleet-sized runs (10,000 workers) are {@code SchedulerScale}
 * in sluice-bench.
 */
class MillionPartitionsTest {

    private static final int PARTITIONS = 1_000_000;
    private static final int WORKERS = 3_000;
    /** A drain of one worker's 1,000 replicas at 250 changes per node: four passes of moves, then quiet. */
    private static final int MAX_PASSES = 20;

    @Test
    void aMillionPartitionsArePlacedAndADrainMovesExactlyTheDrainedWorkersReplicas() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(PARTITIONS, 3, 3);
        for (int id = 1; id <= WORKERS; id++) {
            cluster.worker(id, "r.z" + id % 3, WorkerState.ACTIVE);
        }
        cluster.limits(new SchedulerLimits(250, 1_000, Duration.ofSeconds(60), 16));
        IncrementalScheduler scheduler = new IncrementalScheduler(cluster.table);

        Plan first = scheduler.schedule(cluster.input());
        assertThat(first.replicaSetChanges()).hasSize(PARTITIONS).allMatch(change -> change.kind() == ChangeKind.INITIAL);
        assertThat(first.explanations()).isEmpty();
        cluster.apply(first);
        int spreadViolations = 0;
        for (Placement placement : cluster.placements.values()) {
            List<NodeId> members = placement.current();
            if (members.size() != 3 || Set.of(cluster.location(members.get(0)), cluster.location(members.get(1)), cluster.location(members.get(2))).size() != 3) {
                spreadViolations++;
            }
            scheduler.put(placement);
        }
        assertThat(cluster.placements).hasSize(PARTITIONS);
        assertThat(spreadViolations).as("partitions without 3 members in 3 zones").isZero();
        // 3,000,000 replicas over 3,000 workers, 1,000 per zone: 1,000 each; 1,000,000 leaderships: 333 or 334 each.
        assertThat(first.summary().replicasPerWorkerMin()).isEqualTo(1_000);
        assertThat(first.summary().replicasPerWorkerMax()).isEqualTo(1_000);
        assertThat(first.summary().leadersPerWorkerMax() - first.summary().leadersPerWorkerMin()).isLessThanOrEqualTo(1);

        NodeId drained = NodeId.of(7);
        int held = cluster.replicasPerNode().get(drained);
        cluster.state(drained.value(), WorkerState.DRAINING);
        Set<PartitionId> underWay = new HashSet<>();
        int moves = 0;
        int passes = 0;
        while (true) {
            assertThat(passes++).as("passes to drain " + drained).isLessThan(MAX_PASSES);
            // The changes of the last pass are done: the data plane took one pass.
            for (PartitionId partition : underWay) {
                put(cluster, scheduler, cluster.placements.get(partition).completed());
            }
            boolean wereUnderWay = !underWay.isEmpty();
            underWay.clear();
            SchedulerInput input = withoutPlacements(cluster);
            Plan plan = scheduler.schedule(input.nodes(), input.liveness(), input.limits(), input.now());
            if (plan.hasNoChanges() && !wereUnderWay) {
                break;
            }
            for (LeadershipChange change : plan.leadershipChanges()) {
                put(cluster, scheduler, cluster.placements.get(change.partition()).withLeader(change.to()));
            }
            for (ReplicaSetChange change : plan.replicaSetChanges()) {
                assertThat(change.kind()).as(change.toString()).isEqualTo(ChangeKind.DRAIN);
                assertThat(change.leaving()).containsExactly(drained);
                moves += change.joining().size();
                put(cluster, scheduler, cluster.placements.get(change.partition()).withNext(change.next(), Version.MIN, NOW));
                underWay.add(change.partition());
            }
        }
        assertThat(moves).as("moves to drain " + drained + ", which held " + held).isEqualTo(held);
        Map<NodeId, Integer> perWorker = cluster.replicasPerNode();
        assertThat(perWorker).doesNotContainKey(drained);
        assertThat(cluster.leadersPerNode()).doesNotContainKey(drained);
        // The drained worker's zone lost one of its 1,000 workers: its 1,000,000 replicas now sit on 999, 1,001 or 1,002 each.
        for (int id = 1; id <= WORKERS; id++) {
            if (id != drained.value() && id % 3 == drained.value() % 3) {
                assertThat(perWorker.get(NodeId.of(id))).isBetween(1_001, 1_002);
            }
        }
    }

    /** The nodes, liveness, limits and time of a pass, without copying a million placements into an input. */
    private static SchedulerInput withoutPlacements(Fixtures.Cluster cluster) {
        Map<PartitionId, Placement> placements = cluster.placements;
        cluster.placements = Map.of();
        try {
            return cluster.input();
        } finally {
            cluster.placements = placements;
        }
    }

    private static void put(Fixtures.Cluster cluster, IncrementalScheduler scheduler, Placement placement) {
        cluster.placements.put(placement.partition(), placement);
        scheduler.put(placement);
    }
}
