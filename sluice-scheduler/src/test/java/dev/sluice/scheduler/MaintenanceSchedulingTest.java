package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.NOW;
import static dev.sluice.scheduler.Fixtures.n;
import static dev.sluice.scheduler.Fixtures.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** How a maintenance intent changes the scheduler's decisions, and the pre-check that lets one begin. */
class MaintenanceSchedulingTest {

    private static final Duration GRACE = SchedulerLimits.DEFAULT_DEAD_NODE_GRACE;

    private static Fixtures.Cluster balancedSix() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b");
        cluster.converge(10);
        return cluster;
    }

    @Nested
    class WhileItLasts {

        @Test
        void leadershipsLeaveAtOnceAndNoReplicaMoves() {
            Fixtures.Cluster cluster = balancedSix();
            int led = cluster.leadersPerNode().get(n(2));
            cluster.maintenance(2, NOW.minusSeconds(1), NOW.plus(Duration.ofHours(1)));

            Plan plan = cluster.schedule();

            assertThat(led).isPositive();
            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.leadershipChanges()).hasSize(led).allSatisfy(change -> {
                assertThat(change.from()).isEqualTo(n(2));
                assertThat(change.to()).isNotEqualTo(n(2));
                assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.LEADER_IN_MAINTENANCE);
            });
            cluster.apply(plan);
            assertThat(cluster.converge(10).getLast().hasNoChanges()).isTrue();
            assertThat(cluster.leadersPerNode()).doesNotContainKey(n(2));
        }

        @Test
        void aNodeAwayFarLongerThanTheGracePeriodKeepsItsReplicas() {
            Fixtures.Cluster cluster = balancedSix();
            int held = cluster.replicasPerNode().get(n(2));
            cluster.maintenance(2, NOW.minus(Duration.ofMinutes(10)), NOW.plus(Duration.ofHours(1)));
            cluster.dead(2, NOW.minus(Duration.ofMinutes(5)));
            cluster.limits(SchedulerLimits.DEFAULTS.unthrottled());

            List<Plan> plans = cluster.converge(10);

            assertThat(Fixtures.moveCount(plans)).isZero();
            assertThat(cluster.replicasPerNode()).containsEntry(n(2), held);
            assertThat(plans.getLast().explanations()).hasSize(held).allSatisfy(e -> {
                assertThat(e.reason()).isEqualTo(Reason.WAITING_FOR_MAINTENANCE);
                assertThat(e.message()).isEqualTo("N2 is away in maintenance; its replica is kept until the maintenance ends");
            });
        }

        @Test
        void itReceivesNoNewReplica() {
            Fixtures.Cluster cluster = balancedSix();
            cluster.maintenance(2, NOW.minusSeconds(1), NOW.plus(Duration.ofHours(1)));
            cluster.state(5, dev.sluice.model.WorkerState.DRAINING);
            cluster.limits(SchedulerLimits.DEFAULTS.unthrottled());
            int heldBefore = cluster.replicasPerNode().get(n(2));

            cluster.converge(10);

            assertThat(cluster.replicasPerNode()).containsEntry(n(2), heldBefore).doesNotContainKey(n(5));
        }
    }

    @Nested
    class WhenItEnds {

        @Test
        void theGracePeriodStartsWhenTheTimeLimitPassesNotWhenTheNodeWentAway() {
            Fixtures.Cluster cluster = balancedSix();
            cluster.maintenance(2, NOW.minus(Duration.ofMinutes(10)), NOW.minusSeconds(20));
            cluster.dead(2, NOW.minus(Duration.ofMinutes(9)));
            cluster.limits(SchedulerLimits.DEFAULTS.unthrottled());

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.explanations()).isNotEmpty().allSatisfy(e -> {
                assertThat(e.reason()).isEqualTo(Reason.WAITING_FOR_GRACE_PERIOD);
                assertThat(e.message()).isEqualTo("N2 has been dead for 20 s; its replica is replaced after the grace period of 60 s (in 40 s)");
            });
        }

        @Test
        void itsReplicasAreReplacedOnceTheGraceAfterTheEndHasPassed() {
            Fixtures.Cluster cluster = balancedSix();
            int held = cluster.replicasPerNode().get(n(2));
            cluster.maintenance(2, NOW.minus(Duration.ofMinutes(10)), NOW.plus(Duration.ofHours(1)));
            cluster.endMaintenance(2, NOW.minus(GRACE).minusSeconds(1));
            cluster.dead(2, NOW.minus(Duration.ofMinutes(9)));
            cluster.limits(SchedulerLimits.DEFAULTS.unthrottled());

            List<Plan> plans = cluster.converge(10);

            assertThat(Fixtures.moveCount(plans)).isEqualTo(held);
            assertThat(cluster.replicasPerNode()).doesNotContainKey(n(2));
        }

        @Test
        void leadershipsReturnAsTheSchedulerBalancesThem() {
            Fixtures.Cluster cluster = balancedSix();
            cluster.maintenance(2, NOW.minusSeconds(30), NOW.plus(Duration.ofHours(1)));
            cluster.converge(10);
            assertThat(cluster.leadersPerNode()).doesNotContainKey(n(2));

            cluster.endMaintenance(2, NOW.minusSeconds(1));
            List<Plan> plans = cluster.converge(10);

            assertThat(Fixtures.moveCount(plans)).isZero();
            assertThat(cluster.leadersPerNode().get(n(2))).isEqualTo(24 / 6);
            assertThat(plans.getFirst().leadershipChanges()).allSatisfy(change -> assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.BALANCE));
        }
    }

    @Nested
    class Precheck {

        @Test
        void aBalancedClusterMayLetAnyOneWorkerGoWithZoneWarnings() {
            Fixtures.Cluster cluster = balancedSix();
            for (int id = 1; id <= 6; id++) {
                MaintenancePrecheck.Result result = MaintenancePrecheck.check(cluster.input(), Set.of(n(id)));
                assertThat(result.passed()).as("N" + id).isTrue();
                // Three replicas over two zones: the worker is the only replica in its zone of some partitions.
                assertThat(result.warnings()).as("N" + id).isNotEmpty()
                        .allSatisfy(warning -> assertThat(warning.reason()).isEqualTo(MaintenancePrecheck.WOULD_LEAVE_ONE_ZONE));
            }
        }

        @Test
        void aPartitionWithAMemberAlreadyAwayWouldLoseItsMajority() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(2, 3, 1).workers(1, 4, "r.a");
            cluster.place(0, 1, 1, 2, 3).place(1, 4, 2, 3, 4);
            cluster.maintenance(3, NOW.minusSeconds(5), NOW.plus(Duration.ofHours(1)));

            List<BlockingPartition> blocking = MaintenancePrecheck.check(cluster.input(), Set.of(n(1))).blocking();

            assertThat(blocking).containsExactly(new BlockingPartition(p(0), MaintenancePrecheck.WOULD_LOSE_MAJORITY,
                    "would keep 1 of its 3 replicas, fewer than the 2 a majority needs, so its writes would stop"
                            + " (N3 (worker-3) already away: dead or in maintenance)"));
        }

        @Test
        void aDeadMemberCountsAsAway() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 3, "r.a");
            cluster.place(0, 1, 1, 2, 3).dead(2, NOW.minusSeconds(5));

            assertThat(MaintenancePrecheck.check(cluster.input(), Set.of(n(3))).blocking()).extracting(BlockingPartition::reason)
                    .containsExactly(MaintenancePrecheck.WOULD_LOSE_MAJORITY);
            assertThat(MaintenancePrecheck.check(cluster.input(), Set.of(n(3))).blocking()).extracting(BlockingPartition::partition).containsExactly(p(0));
        }

        @Test
        void takingTheLastReplicaOutsideOneZoneIsAWarningNotARefusal() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 2).workers(1, 2, "r.a").workers(3, 3, "r.b");
            cluster.place(0, 1, 1, 2, 3);

            MaintenancePrecheck.Result result = MaintenancePrecheck.check(cluster.input(), Set.of(n(3)));
            assertThat(result.blocking()).isEmpty();
            assertThat(result.warnings()).singleElement().satisfies(risk -> {
                assertThat(risk.reason()).isEqualTo(MaintenancePrecheck.WOULD_LEAVE_ONE_ZONE);
                assertThat(risk.message()).isEqualTo("its live replicas would all be in zone r.a though its set spans r.a, r.b:"
                        + " an outage of that zone during the maintenance would stop it");
            });
            assertThat(MaintenancePrecheck.check(cluster.input(), Set.of(n(1))).warnings()).isEmpty();
        }

        @Test
        void bothSetsOfAChangeUnderWayNeedTheirMajority() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 5, "r.a");
            cluster.placeInFlight(0, 1, new int[] {1, 2, 3}, new int[] {1, 4, 5});
            cluster.dead(5, NOW.minusSeconds(5));

            assertThat(MaintenancePrecheck.check(cluster.input(), Set.of(n(2))).blocking()).isEmpty();
            assertThat(MaintenancePrecheck.check(cluster.input(), Set.of(n(4))).blocking()).extracting(BlockingPartition::reason)
                    .containsExactly(MaintenancePrecheck.WOULD_LOSE_MAJORITY);
        }

        @Test
        void aNodeThatIsNoWorkerIsAnError() {
            Fixtures.Cluster cluster = balancedSix();
            assertThatThrownBy(() -> MaintenancePrecheck.check(cluster.input(), Set.of(NodeId.of(99))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("N99 is not a worker");
        }

        @Test
        void partitionsWithoutTheNodeAreNotLookedAt() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(2, 3, 1).workers(1, 6, "r.a");
            cluster.place(0, 1, 1, 2, 3).place(1, 4, 4, 5, 6).dead(5, NOW).dead(6, NOW);

            assertThat(MaintenancePrecheck.check(cluster.input(), Set.of(n(1))).blocking()).isEmpty();
            assertThat(cluster.placements.get(p(1))).extracting(Placement::current).isEqualTo(Fixtures.nodes(4, 5, 6));
        }
    }
}
