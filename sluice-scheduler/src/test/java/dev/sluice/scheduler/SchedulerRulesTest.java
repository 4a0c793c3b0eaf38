package dev.sluice.scheduler;

import static dev.sluice.scheduler.Fixtures.NOW;
import static dev.sluice.scheduler.Fixtures.n;
import static dev.sluice.scheduler.Fixtures.nodes;
import static dev.sluice.scheduler.Fixtures.p;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One test (or a few) per scheduling rule, on small clusters whose outcome can be stated exactly. */
class SchedulerRulesTest {

    /** 24 partitions, 3 replicas in 2 zones, over 6 Active workers in two zones, converged. */
    private static Fixtures.Cluster balancedSix() {
        Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 2).workers(1, 3, "r.a").workers(4, 6, "r.b");
        cluster.converge(10);
        return cluster;
    }

    /** The worked example of the {@link Scheduler} class documentation, statement by statement. */
    @Nested
    class WorkedExample {

        @Test
        void placesThenDrainsAsDocumented() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(4, 2, 2).workers(1, 2, "r.a").workers(3, 4, "r.b");

            Plan initial = cluster.schedule();
            assertThat(initial.replicaSetChanges()).hasSize(4).allSatisfy(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.INITIAL);
                assertThat(change.next().stream().map(id -> cluster.location(id).zone())).containsExactlyInAnyOrder("a", "b");
            });
            cluster.apply(initial);
            assertThat(cluster.replicasPerNode().values()).containsOnly(2);
            assertThat(cluster.leadersPerNode().values()).containsOnly(1);
            dev.sluice.model.PartitionId ledByN1 = cluster.placements.values().stream().filter(pl -> n(1).equals(pl.leader()))
                    .findFirst().orElseThrow().partition();
            NodeId partner = cluster.placements.get(ledByN1).current().stream().filter(id -> !id.equals(n(1))).findFirst().orElseThrow();

            cluster.state(1, WorkerState.DRAINING);
            Plan drain = cluster.schedule();
            assertThat(drain.leadershipChanges()).containsExactly(new LeadershipChange(ledByN1, n(1), partner, LeadershipChange.Cause.LEADER_DRAINING));
            assertThat(drain.replicaSetChanges()).hasSize(2).allSatisfy(change -> {
                assertThat(change.leaving()).containsExactly(n(1));
                assertThat(change.joining()).containsExactly(n(2));
            });
            assertThat(drain.explanations()).isEmpty();
            cluster.apply(drain);
            assertThat(cluster.replicasPerNode()).containsOnly(Map.entry(n(2), 4), Map.entry(n(3), 2), Map.entry(n(4), 2));
            assertThat(cluster.leadersPerNode()).doesNotContainKey(n(1)).containsEntry(partner, 2);

            assertThat(cluster.schedule().hasNoChanges()).isTrue();
        }
    }

    @Nested
    class InitialPlacement {

        @Test
        void everyPartitionGetsAnInitialSetAtOnceWithoutThrottling() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 1).workers(1, 4, "r.a");

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).hasSize(24).allSatisfy(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.INITIAL);
                assertThat(change.current()).isEmpty();
                assertThat(change.next()).hasSize(3).doesNotHaveDuplicates();
                assertThat(change.next()).contains(change.preferredLeader());
            });
            assertThat(plan.leadershipChanges()).as("initial leaders travel in the changes").isEmpty();
            assertThat(plan.explanations()).isEmpty();
            cluster.apply(plan);
            assertThat(cluster.replicasPerNode()).containsOnly(Map.entry(n(1), 18), Map.entry(n(2), 18), Map.entry(n(3), 18), Map.entry(n(4), 18));
            assertThat(cluster.leadersPerNode()).containsOnly(Map.entry(n(1), 6), Map.entry(n(2), 6), Map.entry(n(3), 6), Map.entry(n(4), 6));
            assertThat(cluster.schedule().hasNoChanges()).isTrue();
        }

        @Test
        void onlyActiveAliveWorkersAreCandidates() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(12, 2, 1).workers(1, 3, "r.a")
                    .worker(4, "r.a", WorkerState.PROVISIONING).worker(5, "r.a", WorkerState.DRAINING)
                    .worker(6, "r.a", WorkerState.DISABLED).worker(7, "r.a", WorkerState.ACTIVE).dead(7, NOW.minusSeconds(1));
            cluster.nodes.put(n(8), Fixtures.admin(8));

            cluster.converge(10);

            assertThat(cluster.replicasPerNode()).containsOnlyKeys(n(1), n(2), n(3)).containsValues(8, 8, 8);
        }

        @Test
        void spreadsOverTheZonesTheReplicationPropertyAsksFor() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(30, 3, 2).workers(1, 4, "r.a").workers(5, 6, "r.b");

            cluster.converge(10);

            for (Placement placement : cluster.placements.values()) {
                assertThat(placement.current().stream().map(id -> cluster.location(id).zone()).distinct().count())
                        .as("zones of " + placement).isGreaterThanOrEqualTo(2);
            }
            // 90 replicas over 6 workers: 15 each; zone b's two workers are in every set at most once.
            assertThat(cluster.replicasPerNode().values()).containsOnly(15);
        }

        @Test
        void aZoneIsRegionAndZoneTogether() {
            // Same zone name in two regions: two zones, so a 2-zone spread is satisfiable.
            Fixtures.Cluster cluster = new Fixtures.Cluster(4, 2, 2).workers(1, 1, "eu.a").workers(2, 2, "us.a");

            Plan plan = cluster.schedule();

            assertThat(plan.explanations()).isEmpty();
            assertThat(plan.replicaSetChanges()).allSatisfy(change -> assertThat(change.next()).containsExactlyInAnyOrder(n(1), n(2)));
        }
    }

    @Nested
    class Explanations {

        @Test
        void notEnoughCandidatesSaysHowManyAreMissing() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 2, "r.a");

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> assertThat(change.next()).hasSize(2));
            Explanation explanation = plan.explanations().getFirst();
            assertThat(plan.explanations()).hasSize(1);
            assertThat(explanation.reason()).isEqualTo(Reason.NOT_ENOUGH_CANDIDATES);
            assertThat(explanation.reason().wireName()).isEqualTo("not-enough-candidates");
            assertThat(explanation.message()).isEqualTo("needs 3 replicas, can place 2: 1 missing, 2 active and alive worker(s) in the cluster");
            assertThat(explanation.numbers()).containsExactly(Map.entry("eligibleWorkers", 2L), Map.entry("missing", 1L),
                    Map.entry("placeable", 2L), Map.entry("replicas", 3L));
        }

        @Test
        void zoneSpreadUnsatisfiableNamesTheZones() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 2).workers(1, 3, "r.a").worker(4, "r.b", WorkerState.DRAINING);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> assertThat(change.next()).containsExactlyInAnyOrder(n(1), n(2), n(3)));
            assertThat(plan.explanations()).singleElement().satisfies(explanation -> {
                assertThat(explanation.reason()).isEqualTo(Reason.ZONE_SPREAD_UNSATISFIABLE);
                assertThat(explanation.message()).isEqualTo("needs 3 replicas in 2 zones, only 1 zone has an active worker; the set covers 1");
                assertThat(explanation.numbers()).containsEntry("minZones", 2L).containsEntry("zonesWithCandidates", 1L);
            });
        }

        @Test
        void reasonsHaveKebabCaseWireNames() {
            assertThat(List.of(Reason.values()).stream().map(Reason::wireName)).containsExactly("not-enough-candidates",
                    "zone-spread-unsatisfiable", "throttled", "frozen", "waiting-for-grace-period", "waiting-for-maintenance", "no-leader-candidate",
                    "pinned-leader-unavailable", "replacement-unavailable");
            assertThat(Reason.parse("ZONE_SPREAD_UNSATISFIABLE")).isEqualTo(Reason.ZONE_SPREAD_UNSATISFIABLE);
        }
    }

    @Nested
    class Draining {

        @Test
        void drainingAWorkerMovesExactlyTheReplicasItHoldsAndSheddsItsLeadershipsFirst() {
            Fixtures.Cluster cluster = balancedSix();
            int held = cluster.replicasPerNode().get(n(1));
            int led = cluster.leadersPerNode().get(n(1));
            Map<NodeId, Integer> othersBefore = cluster.replicasPerNode();
            cluster.state(1, WorkerState.DRAINING).limits(SchedulerLimits.DEFAULTS.withMaxChangesPerNode(2));

            Plan first = cluster.schedule();

            // Leaderships go at once, to members that stay, before any replica leaves.
            assertThat(first.leadershipChanges()).hasSize(led).allSatisfy(change -> {
                assertThat(change.from()).isEqualTo(n(1));
                assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.LEADER_DRAINING);
            });
            // Replica moves are throttled: 2 at a time on the draining worker.
            assertThat(first.replicaSetChanges()).hasSize(2).allSatisfy(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.DRAIN);
                assertThat(change.leaving()).containsExactly(n(1));
                assertThat(change.joining()).hasSize(1).doesNotContain(n(1));
                assertThat(change.preferredLeader()).isNotEqualTo(n(1));
            });
            assertThat(first.explanations()).hasSize(held - 2).allSatisfy(e -> assertThat(e.reason()).isEqualTo(Reason.THROTTLED));

            List<Plan> plans = cluster.apply(first).converge(50);
            assertThat(Fixtures.moveCount(plans) + 2).as("replica moves").isEqualTo(held);
            assertThat(cluster.replicasPerNode()).doesNotContainKey(n(1));
            assertThat(cluster.leadersPerNode()).doesNotContainKey(n(1));
            // No moves between other workers: nobody lost a replica.
            cluster.replicasPerNode().forEach((id, count) -> assertThat(count).isGreaterThanOrEqualTo(othersBefore.get(id)));
        }

        @Test
        void aReplicaWithoutReplacementStaysWhereItIs() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(4, 3, 1).workers(1, 3, "r.a");
            cluster.converge(5);
            cluster.state(3, WorkerState.DRAINING);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.explanations()).hasSize(4).allSatisfy(e -> assertThat(e.reason()).isEqualTo(Reason.NOT_ENOUGH_CANDIDATES));
            assertThat(plan.leadershipChanges()).allSatisfy(change -> assertThat(change.from()).isEqualTo(n(3)));
        }

        @Test
        void theReplacementKeepsTheZoneSpread() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(12, 3, 3).workers(1, 2, "r.a").workers(3, 4, "r.b").workers(5, 6, "r.c");
            cluster.converge(5);
            Set<Placement> onOne = new HashSet<>(cluster.placements.values().stream().filter(pl -> pl.current().contains(n(1))).toList());
            cluster.state(1, WorkerState.DRAINING);

            List<Plan> plans = cluster.converge(10);

            assertThat(Fixtures.moveCount(plans)).isEqualTo(onOne.size());
            for (Placement before : onOne) {
                assertThat(cluster.placements.get(before.partition()).current()).as("replacement in zone a").contains(n(2));
            }
        }
    }

    @Nested
    class DeadWorkers {

        @Test
        void nothingMovesDuringTheGracePeriodButLeadershipLeavesAtOnce() {
            Fixtures.Cluster cluster = balancedSix();
            int led = cluster.leadersPerNode().get(n(2));
            int held = cluster.replicasPerNode().get(n(2));
            cluster.dead(2, NOW.minusSeconds(20));

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.leadershipChanges()).hasSize(led).allSatisfy(change -> {
                assertThat(change.from()).isEqualTo(n(2));
                assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.LEADER_DEAD);
            });
            assertThat(plan.explanations()).hasSize(held).allSatisfy(e -> {
                assertThat(e.reason()).isEqualTo(Reason.WAITING_FOR_GRACE_PERIOD);
                assertThat(e.message()).isEqualTo("N2 has been dead for 20 s; its replica is replaced after the grace period of 60 s (in 40 s)");
                assertThat(e.numbers()).containsEntry("deadMillis", 20_000L).containsEntry("graceMillis", 60_000L).containsEntry("node", 2L);
            });
        }

        @Test
        void afterTheGracePeriodItsReplicasAreReplaced() {
            Fixtures.Cluster cluster = balancedSix();
            int held = cluster.replicasPerNode().get(n(2));
            cluster.dead(2, NOW.minus(SchedulerLimits.DEFAULT_DEAD_NODE_GRACE).minusSeconds(1));
            cluster.limits(SchedulerLimits.DEFAULTS.unthrottled());

            List<Plan> plans = cluster.converge(10);

            assertThat(Fixtures.moveCount(plans)).isEqualTo(held);
            assertThat(cluster.replicasPerNode()).doesNotContainKey(n(2));
            // Nobody asked for these moves: they are repairs, not drains.
            assertThat(plans.getFirst().replicaSetChanges()).isNotEmpty().allSatisfy(change -> assertThat(change.kind()).isEqualTo(ChangeKind.REPAIR));
        }

        @Test
        void aReturningWorkerIsRefilledGradually() {
            Fixtures.Cluster cluster = balancedSix();
            cluster.dead(2, NOW.minusSeconds(3600)).limits(SchedulerLimits.DEFAULTS.unthrottled());
            cluster.converge(10);
            cluster.alive(2).limits(SchedulerLimits.DEFAULTS.withMaxFillMovesPerPass(3));

            List<Plan> plans = cluster.converge(50);

            for (Plan plan : plans) {
                assertThat(plan.replicaSetChanges().stream().filter(c -> c.kind() == ChangeKind.FILL)).hasSizeLessThanOrEqualTo(3);
            }
            assertThat(cluster.replicasPerNode().values()).containsOnly(12);
            assertThat(cluster.leadersPerNode().values()).containsOnly(4);
        }
    }

    @Nested
    class Filling {

        @Test
        void aNewActiveWorkerIsFilledInBoundedStepsUntilReplicasAndLeadersAreBalanced() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(60, 3, 1).workers(1, 4, "r.a");
            cluster.converge(5);
            cluster.worker(5, "r.a", WorkerState.ACTIVE).limits(SchedulerLimits.DEFAULTS.withMaxFillMovesPerPass(4));

            List<Plan> plans = cluster.converge(50);

            assertThat(plans.size()).as("passes").isGreaterThan(3);
            for (Plan plan : plans) {
                assertThat(plan.replicaSetChanges()).hasSizeLessThanOrEqualTo(4)
                        .allSatisfy(change -> assertThat(change.kind()).isEqualTo(ChangeKind.FILL));
            }
            // 180 replicas over 5 workers: exactly 36 each, reached with 36 moves (the minimum).
            assertThat(cluster.replicasPerNode().values()).containsOnly(36);
            assertThat(Fixtures.moveCount(plans)).isEqualTo(36);
            assertThat(cluster.leadersPerNode().values()).containsOnly(12);
        }

        @Test
        void leadersAreBalancedWithAsFewChangesAsPossible() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(8, 2, 1).workers(1, 4, "r.a");
            for (int partition = 0; partition < 8; partition++) {
                cluster.place(partition, 1, 1, 2 + partition % 3);
            }
            cluster.limits(SchedulerLimits.DEFAULTS.unthrottled());

            Plan plan = cluster.schedule();
            cluster.apply(plan);

            // N1 leads all 8 and holds all 8 replicas; the others hold 3, 3, 2 (balanced replicas would
            // be 4 each): the plan fills and moves leaderships so that everyone leads 2.
            assertThat(cluster.leadersPerNode().values()).containsOnly(2);
            assertThat(plan.leadershipChanges()).hasSize(6);
        }
    }

    @Nested
    class ChangesUnderWay {

        @Test
        void aChangeUnderWayIsLeftAloneAndCountsAgainstTheThrottles() {
            Fixtures.Cluster cluster = balancedSix();
            Placement p0 = cluster.placements.get(p(0));
            NodeId leaving = p0.current().get(1).equals(p0.leader()) ? p0.current().get(2) : p0.current().get(1);
            NodeId joining = List.of(n(1), n(2), n(3), n(4), n(5), n(6)).stream()
                    .filter(id -> !p0.current().contains(id) && cluster.location(id).equals(cluster.location(leaving))).findFirst().orElseThrow();
            List<NodeId> next = p0.current().stream().map(id -> id.equals(leaving) ? joining : id).toList();
            cluster.placements.put(p(0), new Placement(p(0), p0.current(), next, p0.leader(), PartitionPolicy.DEFAULT, p0.basedOnNodesVersion(), NOW));
            cluster.limits(SchedulerLimits.DEFAULTS.withMaxChangesInCluster(1));
            NodeId drained = List.of(n(1), n(2), n(3), n(4), n(5), n(6)).stream().filter(id -> !next.contains(id) && !p0.current().contains(id))
                    .findFirst().orElseThrow();
            cluster.state(drained.value(), WorkerState.DRAINING);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.summary().changesInFlight()).isEqualTo(1);
            assertThat(plan.explanations()).isNotEmpty().allSatisfy(e -> {
                assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
                assertThat(e.numbers()).containsEntry("changesInCluster", 1L).containsEntry("maxChangesInCluster", 1L);
            });
        }

        @Test
        void aJoiningMemberThatIsNoLongerUsableIsReplacedAndNothingElseChanges() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 6, "r.a");
            cluster.placeInFlight(0, 1, new int[] {1, 2, 3}, new int[] {1, 2, 4});
            cluster.state(4, WorkerState.DRAINING);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.REVISE);
                assertThat(change.current()).containsExactly(n(1), n(2), n(3));
                // N4 is swapped in place; N3 (leaving) is not re-added.
                assertThat(change.next()).hasSize(3).startsWith(n(1), n(2)).doesNotContain(n(3), n(4));
                assertThat(change.next().get(2)).isIn(n(5), n(6));
            });
        }

        @Test
        void aJoiningMemberDeadPastTheGracePeriodIsReplacedButNotWithinIt() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 6, "r.a");
            cluster.placeInFlight(0, 1, new int[] {1, 2, 3}, new int[] {1, 2, 4});
            cluster.dead(4, NOW.minusSeconds(30));
            assertThat(cluster.schedule().replicaSetChanges()).isEmpty();

            cluster.dead(4, NOW.minusSeconds(30)).deadSince.put(n(4), NOW.minusSeconds(61));
            assertThat(cluster.schedule().replicaSetChanges()).singleElement()
                    .satisfies(change -> assertThat(change.kind()).isEqualTo(ChangeKind.REVISE));
        }

        @Test
        void aDeadJoiningMemberWithNoOtherCandidateGivesItsPlaceBackToTheMemberThatWasLeaving() {
            // Found by ControllerDrainTest: N1 drained away, a balancing move N4 → N3 under way, N3 died. Nobody else
            // can take N3's place; N4 still can, and without it the move named the dead worker for good.
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 5, "r.a");
            cluster.state(1, WorkerState.DISABLED);
            cluster.place(0, 5, 5, 4, 2).placeInFlight(0, 5, new int[] {5, 4, 2}, new int[] {5, 3, 2});
            cluster.dead(3, NOW.minusSeconds(1));
            assertThat(cluster.schedule().replicaSetChanges()).as("within the grace period the move waits").isEmpty();

            cluster.dead(3, NOW.minusSeconds(600));
            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.REVISE);
                assertThat(change.current()).containsExactly(n(5), n(4), n(2));
                assertThat(change.next()).containsExactly(n(5), n(4), n(2));
            });
            assertThat(plan.explanations()).noneMatch(e -> e.reason() == Reason.NOT_ENOUGH_CANDIDATES);
        }

        @Test
        void aDeadJoiningMemberIsNotGivenBackToALeavingMemberThatMustGo() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 5, "r.a");
            cluster.state(1, WorkerState.DISABLED).state(4, WorkerState.DRAINING);
            cluster.place(0, 5, 5, 4, 2).placeInFlight(0, 5, new int[] {5, 4, 2}, new int[] {5, 3, 2});
            cluster.dead(3, NOW.minusSeconds(600));
            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.explanations()).anyMatch(e -> e.reason() == Reason.NOT_ENOUGH_CANDIDATES);
        }
    }

    @Nested
    class Policies {

        @Test
        void aFrozenPartitionKeepsItsReplicasButNotADrainingLeader() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 4, "r.a");
            cluster.place(0, 1, 1, 2, 3).policy(0, new PartitionPolicy(true, null));
            cluster.state(1, WorkerState.DRAINING);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).isEmpty();
            assertThat(plan.explanations()).singleElement().satisfies(e -> {
                assertThat(e.reason()).isEqualTo(Reason.FROZEN);
                assertThat(e.numbers()).containsEntry("mustLeave", 1L).containsEntry("usable", 2L);
            });
            assertThat(plan.leadershipChanges()).singleElement().satisfies(change -> {
                assertThat(change.from()).isEqualTo(n(1));
                assertThat(change.to()).isIn(n(2), n(3));
            });
        }

        @Test
        void aPinnedLeaderLeadsWhenItIsALiveActiveMember() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 3, "r.a");
            cluster.place(0, 1, 1, 2, 3).policy(0, new PartitionPolicy(false, n(3)));

            Plan plan = cluster.schedule();

            assertThat(plan.leadershipChanges()).containsExactly(new LeadershipChange(p(0), n(1), n(3), LeadershipChange.Cause.PINNED));
        }

        @Test
        void aPinnedLeaderThatIsDrainingIsExplainedAndAnotherMemberLeads() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 3, "r.a");
            cluster.place(0, 3, 1, 2, 3).policy(0, new PartitionPolicy(false, n(3))).state(3, WorkerState.DRAINING);

            Plan plan = cluster.schedule();

            assertThat(plan.leadershipChanges()).singleElement().satisfies(change -> {
                assertThat(change.from()).isEqualTo(n(3));
                assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.LEADER_DRAINING);
            });
            assertThat(plan.explanations()).extracting(Explanation::reason)
                    .containsExactly(Reason.NOT_ENOUGH_CANDIDATES, Reason.PINNED_LEADER_UNAVAILABLE);
            assertThat(plan.explanations().get(1).message()).isEqualTo("leader is pinned to N3, which is draining; another member leads");
        }
    }

    @Nested
    class Repairs {

        @Test
        void aNodeThatLeftTheConfigurationIsReplaced() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 1).workers(1, 4, "r.a");
            cluster.place(0, 9, 1, 2, 9);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> {
                assertThat(change.next()).containsExactly(n(1), n(2), change.next().get(2));
                assertThat(change.next().get(2)).isIn(n(3), n(4));
            });
            assertThat(plan.leadershipChanges()).singleElement().satisfies(change -> {
                assertThat(change.from()).isEqualTo(n(9));
                assertThat(change.cause()).isEqualTo(LeadershipChange.Cause.LEADER_DEAD);
            });
        }

        @Test
        void aSurplusReplicaIsTrimmed() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 2, 1).workers(1, 3, "r.a");
            cluster.place(0, 1, 1, 2, 3);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.TRIM);
                assertThat(change.next()).hasSize(2).contains(n(1));
            });
        }

        @Test
        void aSetCrowdedIntoOneZoneIsSpreadByOneMove() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(1, 3, 2).workers(1, 3, "r.a").workers(4, 4, "r.b");
            cluster.place(0, 1, 1, 2, 3);

            Plan plan = cluster.schedule();

            assertThat(plan.replicaSetChanges()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.SPREAD);
                assertThat(change.joining()).containsExactly(n(4));
                assertThat(change.leaving()).hasSize(1).doesNotContain(n(1));
            });
        }
    }

    @Nested
    class DryRunAndPrecheck {

        @Test
        void drainingTwoOfFourWorkersWithThreeReplicasIsBlocked() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(24, 3, 1).workers(1, 4, "r.a");
            cluster.converge(5);

            assertThat(Scheduler.drainPrecheck(cluster.input(), Set.of(n(4)))).isEmpty();
            var blocking = Scheduler.drainPrecheck(cluster.input(), Set.of(n(3), n(4)));

            assertThat(blocking).hasSize(24).allSatisfy(b -> {
                assertThat(b.reason()).isEqualTo("not-enough-candidates");
                assertThat(b.message()).contains("needs 3 replicas");
            });
        }

        @Test
        void drainPrecheckBlocksALossOfZoneSpread() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(6, 2, 2).workers(1, 2, "r.a").workers(3, 3, "r.b");
            cluster.converge(5);

            var blocking = Scheduler.drainPrecheck(cluster.input(), Set.of(n(3)));

            assertThat(blocking).hasSize(6).allSatisfy(b -> assertThat(b.reason()).isEqualTo("zone-spread-unsatisfiable"));
        }

        @Test
        void dryRunOfADrainListsEveryMoveAndChangesNothing() {
            Fixtures.Cluster cluster = balancedSix();
            Map<dev.sluice.model.PartitionId, Placement> before = Map.copyOf(cluster.placements);
            int held = cluster.replicasPerNode().get(n(4));

            DryRunReport report = Scheduler.dryRun(cluster.input(), WhatIf.draining(n(4)));

            assertThat(report.converged()).isTrue();
            assertThat(report.moves()).hasSize(held).allSatisfy(move -> {
                assertThat(move.from()).isEqualTo(n(4));
                assertThat(move.to()).isNotNull().isNotEqualTo(n(4));
            });
            assertThat(report.violations()).isEmpty();
            assertThat(report.replicasPerWorker()).doesNotContainKey(n(4));
            assertThat(report.replicasPerWorker().values()).allSatisfy(count -> assertThat(count).isBetween(14, 15));
            assertThat(cluster.placements).isEqualTo(before);
        }

        @Test
        void dryRunOfAddedWorkersFillsThem() {
            Fixtures.Cluster cluster = balancedSix();

            DryRunReport report = Scheduler.dryRun(cluster.input(),
                    WhatIf.adding(new WhatIf.NewWorker(n(7), dev.sluice.model.Location.parse("r.a")),
                            new WhatIf.NewWorker(n(8), dev.sluice.model.Location.parse("r.b"))));

            // 72 replicas over 8 workers: 9 each, so the two new ones receive 18 in total.
            assertThat(report.replicasPerWorker().values()).containsOnly(9);
            assertThat(report.moves()).hasSize(18).allSatisfy(move -> assertThat(move.to()).isIn(n(7), n(8)));
            assertThat(report.leadersPerWorker().values()).containsOnly(3);
        }

        @Test
        void dryRunOfDisablingTooManyReportsTheViolations() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(6, 3, 1).workers(1, 4, "r.a");
            cluster.converge(5);

            DryRunReport report = Scheduler.dryRun(cluster.input(), WhatIf.disabling(n(1), n(2)));

            assertThat(report.violations()).hasSize(6).allSatisfy(v -> assertThat(v.reason()).isEqualTo(Reason.NOT_ENOUGH_CANDIDATES));
        }

        @Test
        void whatIfRefusesUnknownAndReusedIds() {
            Fixtures.Cluster cluster = balancedSix();
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> Scheduler.dryRun(cluster.input(), WhatIf.draining(n(42))))
                    .withMessage("N42 is not a worker of the nodes configuration v1");
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> Scheduler.dryRun(cluster.input(),
                            WhatIf.adding(new WhatIf.NewWorker(n(3), dev.sluice.model.Location.DEFAULT))))
                    .withMessage("N3 is already used in the nodes configuration v1");
        }
    }

    @Nested
    class Inputs {

        @Test
        void limitsAreValidated() {
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> new SchedulerLimits(0, 16, Duration.ofSeconds(60), 4))
                    .withMessage("maxChangesPerNode must be at least 1, got 0");
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> new SchedulerLimits(4, 16, Duration.ofSeconds(-1), 4))
                    .withMessageStartingWith("deadNodeGrace must be between 0 and");
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> new SchedulerLimits(4, 16, Duration.ofSeconds(60), -1))
                    .withMessage("maxFillMovesPerPass must not be negative, got -1");
            assertThat(SchedulerLimits.DEFAULTS).isEqualTo(new SchedulerLimits(4, 16, Duration.ofSeconds(60), 16));
        }

        @Test
        void aPlacementFiledUnderTheWrongPartitionIsRefused() {
            Fixtures.Cluster cluster = new Fixtures.Cluster(2, 1, 1).workers(1, 1, "r.a");
            cluster.placements.put(p(1), Placement.stable(p(0), nodes(1), n(1), dev.sluice.model.Version.MIN));
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(cluster::input)
                    .withMessage("placement of P0 is filed under P1");
        }
    }
}
