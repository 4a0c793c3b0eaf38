package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.n;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's side of a group drain: the pre-check judges the set together, not each worker alone, and
 * {@link Scheduler#drainWaves} groups the set's moves in the waves the throttles allow — every replica the set held
 * moves exactly once, none between other workers.
 */
class DrainGroupSchedulingTest {

    /** Nine workers, three per zone, 24 partitions × 3 in 3 zones, placed and balanced: 8 replicas each. */
    private static Fixtures.Cluster nineInThreeZones() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 3).workers(1, 3, "r.a").workers(4, 6, "r.b").workers(7, 9, "r.c");
        cluster.converge(10);
        return cluster;
    }

    @Test
    void theSetIsRefusedWhereEachWorkerAloneIsAllowedAndTheBlockingPartitionsAreNamed() {
        // Four workers, three replicas: any one may go (three stay), any two together may not.
        Fixtures.Cluster cluster = new Fixtures.Cluster(12, 3, 1).workers(1, 4, "r.a");
        cluster.converge(10);
        SchedulerInput input = cluster.input();

        for (int id = 1; id <= 4; id++) {
            assertThat(Scheduler.drainPrecheck(input, Set.of(n(id)))).as("N%d alone", id).isEmpty();
        }
        List<BlockingPartition> together = Scheduler.drainPrecheck(input, Set.of(n(1), n(2)));

        // Every partition with a replica on N1 or N2 is short of a third member once both go: with four workers and
        // three replicas each partition misses exactly one worker, so that is all twelve.
        assertThat(together).hasSize(12);
        assertThat(together).allSatisfy(b -> assertThat(b.reason()).isEqualTo("not-enough-candidates"));
    }

    @Test
    void eachMembersPreCheckOverOneIndexSaysWhatItsOwnPreCheckSays() {
        // Three workers, three replicas: none may go, each alone blocks every partition; and one more worker lets any go.
        Fixtures.Cluster three = new Fixtures.Cluster(12, 3, 1).workers(1, 3, "r.a");
        three.converge(10);
        Map<NodeId, List<BlockingPartition>> each = Scheduler.drainPrecheckEach(three.input(), List.of(n(1), n(2), n(3)));
        assertThat(each.keySet()).containsExactly(n(1), n(2), n(3));
        for (int id = 1; id <= 3; id++) {
            assertThat(each.get(n(id))).hasSize(12).isEqualTo(Scheduler.drainPrecheck(three.input(), Set.of(n(id))));
        }
    }

    @Test
    void aZoneIsRefusedWhenThePartitionsNeedEveryZoneThoughEachOfItsWorkersAloneMayGo() {
        Fixtures.Cluster cluster = nineInThreeZones();
        SchedulerInput input = cluster.input();

        for (int id = 1; id <= 3; id++) {
            assertThat(Scheduler.drainPrecheck(input, Set.of(n(id)))).as("N%d alone", id).isEmpty();
        }
        List<BlockingPartition> zone = Scheduler.drainPrecheck(input, Set.of(n(1), n(2), n(3)));

        assertThat(zone).hasSize(24);
        assertThat(zone).allSatisfy(b -> assertThat(b.reason()).isEqualTo("zone-spread-unsatisfiable"));
    }

    @Test
    void aZoneOfThreeWorkersMovesItsTwentyFourReplicasInTwoWavesUnderTheDefaultThrottles() {
        // A zone may go only if the partitions need no more zones than the others: 2 zones required here.
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b").workers(7, 9, "r.c");
        cluster.converge(10);
        Map<NodeId, Integer> before = cluster.replicasPerNode();
        Set<NodeId> zone = Set.of(n(1), n(2), n(3));
        int held = before.get(n(1)) + before.get(n(2)) + before.get(n(3));

        assertThat(Scheduler.drainPrecheck(cluster.input(), zone)).isEmpty();
        List<DrainWave> waves = Scheduler.drainWaves(cluster.input(), zone).listed();

        // 4 changes per worker: each of the three leaving workers is in at most 4 at once, so at most 12 a wave; the six
        // receivers (4 each) and the cluster (16) allow that. 24 replicas cannot move in one wave.
        assertThat(waves.size()).isBetween(2, 3);
        assertThat(waves.getFirst().moves().size()).isGreaterThanOrEqualTo(8);
        assertWithinThrottles(waves, 4, 16, "default limits");
        assertWavesMoveExactly(waves, zone, held);
    }

    @Test
    void tighterThrottlesMakeMoreWavesAndTheSameMoves() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b").workers(7, 9, "r.c");
        cluster.converge(10);
        Set<NodeId> zone = Set.of(n(1), n(2), n(3));
        int held = cluster.replicasPerNode().get(n(1)) + cluster.replicasPerNode().get(n(2)) + cluster.replicasPerNode().get(n(3));
        cluster.limits(SchedulerLimits.DEFAULTS.withMaxChangesPerNode(1).withMaxChangesInCluster(2));

        List<DrainWave> waves = Scheduler.drainWaves(cluster.input(), zone).listed();

        // At most two changes in the cluster at once, one per worker: 24 replicas take about twelve waves.
        assertThat(waves.size()).isGreaterThanOrEqualTo(held / 3);
        assertWithinThrottles(waves, 1, 2, "1 per worker, 2 in the cluster");
        assertWavesMoveExactly(waves, zone, held);
    }

    @Test
    void randomSetsOfRandomClustersMoveExactlyWhatTheSetHeldWithinTheThrottles() {
        long seed = new Random().nextLong();
        System.out.println("DrainGroupSchedulingTest seed: " + seed);
        Random random = new Random(seed);
        for (int round = 0; round < 20; round++) {
            int workers = 5 + random.nextInt(8);
            Fixtures.Cluster cluster = new Fixtures.Cluster(8 + random.nextInt(40), 3, 1).workers(1, workers, "r.a");
            cluster.converge(20);
            Set<NodeId> set = new HashSet<>();
            int size = 1 + random.nextInt(workers - 3);
            while (set.size() < size) {
                set.add(n(1 + random.nextInt(workers)));
            }
            int perNode = 1 + random.nextInt(4);
            int inCluster = 1 + random.nextInt(16);
            cluster.limits(SchedulerLimits.DEFAULTS.withMaxChangesPerNode(perNode).withMaxChangesInCluster(inCluster));
            int held = set.stream().mapToInt(node -> cluster.replicasPerNode().getOrDefault(node, 0)).sum();

            DrainWaves planned = Scheduler.drainWaves(cluster.input(), set);
            // Each member's pre-check over one index says what a pre-check of that member alone from nothing says.
            Map<NodeId, List<BlockingPartition>> each = Scheduler.drainPrecheckEach(cluster.input(), set);
            for (NodeId node : set) {
                assertThat(each.get(node)).as("seed %d, round %d, %s alone", seed, round, node).isEqualTo(Scheduler.drainPrecheck(cluster.input(), Set.of(node)));
            }

            String context = "seed " + seed + ", round " + round + ": " + workers + " workers, drain " + set + ", limits " + perNode + "/" + inCluster;
            assertWithinThrottles(planned.listed(), perNode, inCluster, context);
            if (planned.complete()) {
                assertThat(planned.count()).as(context).isEqualTo(planned.listed().size());
                assertWavesMoveExactly(planned.listed(), set, held);
            } else {
                assertThat(planned.listed()).as(context).hasSize(Scheduler.MAX_WAVES);
                assertThat(planned.count()).as(context).isGreaterThan(Scheduler.MAX_WAVES);
                assertThat(planned.listed().stream().mapToInt(w -> w.moves().size()).sum() + planned.movesNotListed()).as(context).isEqualTo(held);
            }
        }
    }

    @Test
    void packingPutsEachChangeInTheFirstWaveWithRoomAndCountsTheWavesItDoesNotList() {
        // Worker 1 leaves ten partitions for workers 2 and 3 in turn; at 2 changes per worker and 3 in the cluster, worker
        // 1 allows two changes a wave: five waves. A change of workers 4 → 5 fits beside them in the first.
        List<ReplicaSetChange> changes = new java.util.ArrayList<>();
        for (int p = 0; p < 10; p++) {
            changes.add(change(p, n(1), n(2 + p % 2)));
        }
        changes.add(change(10, n(4), n(5)));

        DrainWaves waves = Scheduler.pack(changes, 2, 3);

        assertThat(waves.complete()).isTrue();
        assertThat(waves.count()).isEqualTo(5);
        assertThat(waves.listed().getFirst().moves()).extracting(Move::partition)
                .containsExactly(dev.sluice.model.PartitionId.of(0), dev.sluice.model.PartitionId.of(1), dev.sluice.model.PartitionId.of(10));
        assertWithinThrottles(waves.listed(), 2, 3, "packed");

        // One change at a time: more changes than waves listed; the count is what the cluster's limit needs.
        List<ReplicaSetChange> many = new java.util.ArrayList<>();
        for (int p = 0; p < Scheduler.MAX_WAVES + 10; p++) {
            many.add(change(p, n(100 + p), n(1_000 + p)));
        }
        DrainWaves capped = Scheduler.pack(many, 4, 1);
        assertThat(capped.listed()).hasSize(Scheduler.MAX_WAVES);
        assertThat(capped.count()).isEqualTo(Scheduler.MAX_WAVES + 10);
        assertThat(capped.movesNotListed()).isEqualTo(10);
        assertThat(capped.complete()).isFalse();
    }

    private static ReplicaSetChange change(int partition, NodeId from, NodeId to) {
        return new ReplicaSetChange(dev.sluice.model.PartitionId.of(partition), List.of(from, n(900), n(901)), List.of(to, n(900), n(901)), null,
                ChangeKind.DRAIN);
    }

    /** No wave has more replica-set changes (partitions) than the cluster allows at once, nor a worker in more than its limit. */
    private static void assertWithinThrottles(List<DrainWave> waves, int perNode, int inCluster, String context) {
        for (DrainWave wave : waves) {
            Map<NodeId, Set<Object>> changesOf = new HashMap<>();
            Set<Object> changes = new HashSet<>();
            wave.moves().forEach(m -> {
                changes.add(m.partition());
                changesOf.computeIfAbsent(m.from(), k -> new HashSet<>()).add(m.partition());
                changesOf.computeIfAbsent(m.to(), k -> new HashSet<>()).add(m.partition());
            });
            assertThat(changes.size()).as(context + ", wave " + wave.number()).isLessThanOrEqualTo(inCluster);
            assertThat(changesOf.values()).as(context + ", wave " + wave.number()).allSatisfy(c -> assertThat(c.size()).isLessThanOrEqualTo(perNode));
        }
    }

    /** Every move leaves a worker of the set for a worker outside it, and there are exactly as many as the set held. */
    private static void assertWavesMoveExactly(List<DrainWave> waves, Set<NodeId> set, int held) {
        List<Move> moves = waves.stream().flatMap(w -> w.moves().stream()).toList();
        assertThat(moves).hasSize(held);
        assertThat(moves).allSatisfy(m -> {
            assertThat(set).contains(m.from());
            assertThat(set).doesNotContain(m.to());
        });
        for (int i = 0; i < waves.size(); i++) {
            assertThat(waves.get(i).number()).isEqualTo(i + 1);
        }
    }
}
