package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.NOW;
import static dev.sluice.scheduler.Fixtures.n;
import static dev.sluice.scheduler.Fixtures.p;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A cordoned worker receives nothing new on any placement path — first sets, repair of a dead worker's replicas, the
 * targets of a drain (and its pre-check), balancing, leaderships — and keeps everything it holds. Each test makes the
 * cordoned worker the one the path would otherwise pick (least loaded, or the only one in the zone that needs it), so
 * a path that ignored the cordon would fail it.
 */
class CordonSchedulingTest {

    private static final Duration GRACE = SchedulerLimits.DEFAULT_DEAD_NODE_GRACE;

    /** N1..N3 in r.a, N4..N6 in r.b, 24 partitions × 3 in 2 zones, placed and balanced. */
    private static Fixtures.Cluster balancedSix() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b");
        cluster.converge(10);
        return cluster;
    }

    /** Nothing joins {@code node} and, since it keeps what it holds, nothing leaves it either. */
    private static void assertNeverJoins(List<Plan> plans, NodeId node) {
        for (Plan plan : plans) {
            assertThat(plan.replicaSetChanges()).as("replica set changes").allSatisfy(change -> {
                assertThat(change.joining()).doesNotContain(node);
                assertThat(change.leaving()).doesNotContain(node);
            });
            assertThat(plan.leadershipChanges()).as("leadership changes").allSatisfy(change -> assertThat(change.to()).isNotEqualTo(node));
        }
    }

    @Test
    void firstPlacementsLeaveACordonedWorkerOut() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(12, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b").cordon(1);

        List<Plan> plans = cluster.converge(10);

        assertThat(plans.getFirst().replicaSetChanges()).hasSize(12);
        assertThat(cluster.replicasPerNode()).doesNotContainKey(n(1)).containsOnlyKeys(n(2), n(3), n(4), n(5), n(6));
        assertThat(cluster.leadersPerNode()).doesNotContainKey(n(1));
        assertThat(cluster.replicasPerNode().values()).allSatisfy(count -> assertThat(count).isBetween(7, 8));
    }

    @Test
    void aDeadWorkersReplicasAreRepairedOntoOthersThanTheCordonedOne() {
        Fixtures.Cluster cluster = balancedSix();
        int cordonedHeld = cluster.replicasPerNode().get(n(5));
        int deadHeld = cluster.replicasPerNode().get(n(4));
        // N4 (r.b) dies past the grace period; every partition it held needs another r.b member, and N5 is the
        // least loaded of them once cordoned replicas no longer count — unless it is cordoned.
        cluster.cordon(5).dead(4, NOW.minus(GRACE).minusSeconds(1)).limits(SchedulerLimits.DEFAULTS.unthrottled());

        List<Plan> plans = cluster.converge(10);

        assertNeverJoins(plans, n(5));
        // Beyond the dead worker's replicas, the remaining candidates may even out among themselves: the cordoned one takes no part.
        assertThat(Fixtures.moveCount(plans)).isGreaterThanOrEqualTo(deadHeld);
        assertThat(cluster.replicasPerNode()).doesNotContainKey(n(4)).containsEntry(n(5), cordonedHeld);
        for (Placement placement : cluster.placements.values()) {
            assertThat(placement.current()).as("%s stays in two zones", placement.partition()).anyMatch(id -> id.value() >= 4);
        }
    }

    @Test
    void aDrainsTargetsAreNotTheCordonedWorker() {
        Fixtures.Cluster cluster = balancedSix();
        int cordonedHeld = cluster.replicasPerNode().get(n(1));
        int drainedHeld = cluster.replicasPerNode().get(n(2));
        cluster.cordon(1).state(2, WorkerState.DRAINING).limits(SchedulerLimits.DEFAULTS.unthrottled());

        List<Plan> plans = cluster.converge(10);

        assertNeverJoins(plans, n(1));
        assertThat(Fixtures.moveCount(plans)).isGreaterThanOrEqualTo(drainedHeld);
        assertThat(cluster.replicasPerNode()).doesNotContainKey(n(2)).containsEntry(n(1), cordonedHeld);
        assertThat(cluster.leadersPerNode()).doesNotContainKey(n(2));
    }

    @Test
    void theDrainPrecheckCountsACordonedWorkerAsNoTarget() {
        // Two workers per zone: with N1 cordoned, N2's r.a replicas have nowhere to go.
        Fixtures.Cluster cluster = new Fixtures.Cluster(8, 2, 2).workers(1, 2, "r.a").workers(3, 4, "r.b");
        cluster.converge(10);
        assertThat(Scheduler.drainPrecheck(cluster.input(), Set.of(n(2)))).isEmpty();
        cluster.cordon(1);

        List<BlockingPartition> blocking = Scheduler.drainPrecheck(cluster.input(), Set.of(n(2)));

        int held = cluster.replicasPerNode().get(n(2));
        assertThat(blocking).hasSize(held).allSatisfy(b -> assertThat(b.message()).contains("1 more cordoned, which receive no new replicas"));
        DryRunReport dryRun = Scheduler.dryRun(cluster.input(), WhatIf.draining(n(2)));
        assertThat(dryRun.moves()).allSatisfy(move -> assertThat(move.to()).isNotEqualTo(n(1)));
    }

    @Test
    void balancingFillsANewWorkerButNotACordonedEmptyOne() {
        Fixtures.Cluster cluster = balancedSix();
        // Two empty workers join r.a; N7 is cordoned. Balancing would give both the same share.
        cluster.worker(7, "r.a", WorkerState.ACTIVE).worker(8, "r.a", WorkerState.ACTIVE).cordon(7);

        List<Plan> plans = cluster.converge(30);

        assertNeverJoins(plans, n(7));
        assertThat(cluster.replicasPerNode()).doesNotContainKey(n(7));
        assertThat(cluster.replicasPerNode().get(n(8))).isGreaterThanOrEqualTo(72 / 7);
        assertThat(cluster.leadersPerNode()).doesNotContainKey(n(7)).containsKey(n(8));
    }

    @Test
    void aCordonedWorkerKeepsItsReplicasAndLeadershipsEvenWhenLoadedMost() {
        // Placed on N1..N4 first, then two empty workers join: balancing moves replicas to them from the loaded workers,
        // except from the cordoned N1, which is not a donor: a cordon never moves what a worker holds.
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 2).workers(1, 2, "r.a").workers(3, 4, "r.b");
        cluster.converge(10);
        Map<NodeId, Integer> before = cluster.replicasPerNode();
        int led = cluster.leadersPerNode().get(n(1));
        cluster.cordon(1).workers(5, 5, "r.a").workers(6, 6, "r.b");

        List<Plan> plans = cluster.converge(40);

        assertThat(Fixtures.moveCount(plans)).isPositive();
        for (Plan plan : plans) {
            assertThat(plan.replicaSetChanges()).allSatisfy(change -> assertThat(change.leaving()).doesNotContain(n(1)));
            assertThat(plan.leadershipChanges()).allSatisfy(change -> assertThat(change.from()).isNotEqualTo(n(1)));
        }
        assertThat(cluster.replicasPerNode()).containsEntry(n(1), before.get(n(1)));
        assertThat(cluster.leadersPerNode()).containsEntry(n(1), led);
    }

    @Test
    void aLeadershipThatMustMoveGoesToAnUncordonedMember() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 4, "r.a");
        cluster.place(0, 2, 1, 2, 3).cordon(1);
        cluster.state(2, WorkerState.DRAINING).limits(SchedulerLimits.DEFAULTS.unthrottled());

        Plan plan = cluster.schedule();

        // N1 holds no leadership yet and would be the least loaded member; the leadership goes to N3, the other one that stays.
        assertThat(plan.leadershipChanges()).singleElement().satisfies(change -> {
            assertThat(change.from()).isEqualTo(n(2));
            assertThat(change.to()).isEqualTo(n(3));
        });
        assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> assertThat(change.joining()).containsExactly(n(4)));
    }

    @Test
    void aCordonedMemberLeadsOnlyWhenNoCandidateCan() {
        // P0 on N1 (cordoned), N2 (draining, leading) and N3 (dead, within the grace period); N4 replaces N2 but joins
        // without data, so it cannot lead yet. Of the members that stay only N1 is alive: a partition needs a leader.
        Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 4, "r.a");
        cluster.place(0, 2, 1, 2, 3).cordon(1).state(2, WorkerState.DRAINING).dead(3, NOW.minusSeconds(5));

        Plan plan = cluster.schedule();

        assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> {
            assertThat(change.joining()).containsExactly(n(4));
            assertThat(change.leaving()).containsExactly(n(2));
        });
        assertThat(plan.leadershipChanges()).singleElement().satisfies(change -> {
            assertThat(change.to()).isEqualTo(n(1));
            assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.LEADER_DRAINING);
        });
    }

    @Test
    void aLeaderPinnedToACordonedWorkerStillLeads() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 3, "r.a");
        cluster.place(0, 2, 1, 2, 3).policy(0, new PartitionPolicy(false, n(1))).cordon(1);

        Plan plan = cluster.schedule();

        assertThat(plan.leadershipChanges()).singleElement().satisfies(change -> {
            assertThat(change.to()).isEqualTo(n(1));
            assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.PINNED);
        });
    }

    @Test
    void anUncordonedWorkerIsACandidateAgain() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(12, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b").cordon(1);
        cluster.converge(10);
        assertThat(cluster.replicasPerNode()).doesNotContainKey(n(1));

        cluster.uncordon(1);
        cluster.converge(30);

        assertThat(cluster.replicasPerNode().get(n(1))).isBetween(5, 7);
        assertThat(cluster.leadersPerNode()).containsKey(n(1));
    }

    @Test
    void aPartitionThatOnlyTheCordonedWorkerCouldCompleteSaysSo() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 3, "r.a").cordon(3);

        Plan plan = cluster.schedule();

        assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> assertThat(change.next()).containsExactlyInAnyOrder(n(1), n(2)));
        assertThat(plan.explanations()).singleElement().satisfies(e -> {
            assertThat(e.partition()).isEqualTo(p(0));
            assertThat(e.reason()).isEqualTo(Reason.NOT_ENOUGH_CANDIDATES);
            assertThat(e.message()).isEqualTo("needs 3 replicas, can place 2: 1 missing, 2 active and alive worker(s) in the cluster"
                    + " (1 more cordoned, which receive no new replicas)");
            assertThat(e.numbers()).containsEntry("cordonedWorkers", 1L);
        });
    }
}
