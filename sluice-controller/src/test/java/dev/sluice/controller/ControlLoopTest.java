package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.Fence;
import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The control loop against simulated Raft groups, pass by pass, with a hand-moved clock. */
class ControlLoopTest {

    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N4 = NodeId.of(4);

    private static ControllerHarness fourWorkers(int latencySteps) {
        return new ControllerHarness(4, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, latencySteps);
    }

    private static Lifecycle lifecycle(ControllerHarness cluster) {
        return new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock);
    }

    @Test
    void placesEveryPartitionOnActiveWorkersInBalance() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), 50, "leaders known");
            Map<NodeId, Integer> perWorker = new HashMap<>();
            for (Placement placement : cluster.placements().values()) {
                assertThat(placement.current()).hasSize(3).doesNotHaveDuplicates();
                placement.current().forEach(n -> perWorker.merge(n, 1, Integer::sum));
            }
            assertThat(perWorker).containsOnlyKeys(N1, N2, NodeId.of(3), N4);
            assertThat(perWorker.values()).allMatch(count -> count == 18);
            for (NodeId node : perWorker.keySet()) {
                assertThat(cluster.dataPlane.hostedBy(node)).hasSize(18);
            }
        }
    }

    @Test
    void aDrainedWorkerIsDisabledByTheControllerAfterExactlyItsReplicasMoved() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), 50, "leaders known");
            long held = cluster.replicasOn(N1);
            Lifecycle.Outcome outcome = lifecycle(cluster).request("worker-1", WorkerState.DRAINING, "kernel upgrade", false, false);
            assertThat(outcome).isInstanceOf(Lifecycle.Outcome.Done.class);

            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 400, "N1 disabled");

            assertThat(cluster.replicasOn(N1)).isZero();
            assertThat(cluster.dataPlane.hostedBy(N1)).isEmpty();
            for (Placement placement : cluster.placements().values()) {
                assertThat(placement.current()).hasSize(3).doesNotContain(N1);
                assertThat(placement.hasNext()).isFalse();
                assertThat(cluster.dataPlane.group(placement.partition()).configuration).containsExactlyInAnyOrderElementsOf(placement.current());
            }
            assertThat(cluster.events(EventKind.PARTITION_MOVED).stream().filter(e -> e.event().partition() != null)).hasSize((int) held);
            List<AuditRecord> audit = cluster.metadata.audit().read(-1, 100);
            assertThat(audit.getLast().actor()).isEqualTo(Actor.CONTROLLER);
            assertThat(audit.getLast().from()).isEqualTo(WorkerState.DRAINING);
            assertThat(audit.getLast().to()).isEqualTo(WorkerState.DISABLED);
            assertThat(cluster.eventKinds()).containsSubsequence(EventKind.DRAIN_STARTED, EventKind.PARTITION_MOVED, EventKind.DRAIN_COMPLETED);

            DrainProgress finished = cluster.loop.lastStatus().drain(N1).orElseThrow();
            assertThat(finished.state()).isEqualTo(WorkerState.DISABLED);
            assertThat(finished.replicasAtStart()).isEqualTo((int) held);
            assertThat(finished.movesDone()).isEqualTo((int) held);
            assertThat(finished.replicasRemaining()).isZero();
        }
    }

    @Test
    void leadershipLeavesTheDrainingWorkerBeforeItsReplicasDo() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream()
                    .allMatch(p -> p.leader() != null && p.leader().equals(cluster.dataPlane.group(p.partition()).leader)), 100, "leaders recorded");
            List<Placement> ledByN1 = cluster.placements().values().stream().filter(p -> N1.equals(cluster.dataPlane.group(p.partition()).leader)).toList();
            assertThat(ledByN1).isNotEmpty();
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 400, "N1 disabled");
            for (Placement placement : ledByN1) {
                var events = cluster.metadata.events().read(-1, 10_000).stream()
                        .filter(e -> placement.partition().equals(e.event().partition())).toList();
                long leadershipMoved = events.stream().filter(e -> e.event().kind() == EventKind.LEADERSHIP_MOVED).findFirst()
                        .orElseThrow(() -> new AssertionError(placement + " " + events.stream().map(e -> e.event().message()).toList())).sequence();
                long replicaMoved = events.stream().filter(e -> e.event().kind() == EventKind.PARTITION_MOVED).findFirst().orElseThrow().sequence();
                assertThat(leadershipMoved).as("%s: leadership moved before its replica", placement.partition()).isLessThan(replicaMoved);
            }
        }
    }

    @Test
    void movesOffADrainingWorkerRespectThePerNodeLimit() {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(2, 16, Duration.ofSeconds(60), 16));
        try (ControllerHarness cluster = new ControllerHarness(4, 24, ReplicationProperty.of(3), config, 3)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            int maxInFlight = 0;
            for (int i = 0; i < 600 && cluster.state(N1) != WorkerState.DISABLED; i++) {
                cluster.step();
                long inFlight = cluster.placements().values().stream().filter(p -> p.hasNext() && p.leaving().contains(N1)).count();
                maxInFlight = Math.max(maxInFlight, (int) inFlight);
            }
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DISABLED);
            assertThat(maxInFlight).isEqualTo(2);
        }
    }

    @Test
    void cancellingADrainLeavesValidReplicaSetsAndTheWorkerActive() {
        try (ControllerHarness cluster = fourWorkers(2)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.placements().values().stream().anyMatch(Placement::hasNext), 20, "a move under way");
            Lifecycle.Outcome cancel = lifecycle(cluster).request("N1", WorkerState.ACTIVE, "changed my mind", false, false);
            assertThat(cancel).isInstanceOf(Lifecycle.Outcome.Done.class);
            cluster.runUntil(() -> cluster.settled() && cluster.loop.lastStatus().moves().isEmpty(), 200, "moves finished");
            for (int i = 0; i < 20; i++) {
                cluster.step();
            }
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.ACTIVE);
            for (Placement placement : cluster.placements().values()) {
                assertThat(placement.current()).hasSize(3).doesNotHaveDuplicates();
                assertThat(cluster.dataPlane.group(placement.partition()).configuration).containsExactlyInAnyOrderElementsOf(
                        placement.hasNext() ? cluster.dataPlane.group(placement.partition()).configuration : placement.current());
            }
            assertThat(cluster.eventKinds()).contains(EventKind.DRAIN_CANCELLED);
        }
    }

    @Test
    void drainingTwoOfFourWorkersWithThreeReplicasIsRefusedUnlessForced() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            assertThat(lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            Lifecycle.Outcome second = lifecycle(cluster).request("N2", WorkerState.DRAINING, "", false, false);
            assertThat(second).isInstanceOfSatisfying(Lifecycle.Outcome.Refused.class, refused -> {
                assertThat(refused.refusal().kind()).isEqualTo(RefusalKind.GUARD_FAILED);
                assertThat(refused.refusal().blocking()).isNotEmpty()
                        .allSatisfy(b -> assertThat(b.reason()).isEqualTo("not-enough-candidates"));
                assertThat(refused.refusal().message()).contains("use --force");
            });
            assertThat(cluster.state(N2)).isEqualTo(WorkerState.ACTIVE);
            Lifecycle.Outcome dryRun = lifecycle(cluster).request("N2", WorkerState.DRAINING, "", false, true);
            assertThat(dryRun).isInstanceOfSatisfying(Lifecycle.Outcome.DryRun.class, d -> assertThat(d.wouldRefuse()).isPresent());
            assertThat(lifecycle(cluster).request("N2", WorkerState.DRAINING, "", true, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            assertThat(cluster.metadata.audit().read(-1, 100).getLast().forced()).isTrue();
        }
    }

    @Test
    void aDryRunPlansEveryMoveAndWritesNothing() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            var before = cluster.metadata.nodes().current();
            Lifecycle.Outcome outcome = lifecycle(cluster).request("worker-1", WorkerState.DRAINING, "", false, true);
            assertThat(outcome).isInstanceOfSatisfying(Lifecycle.Outcome.DryRun.class, dryRun -> {
                assertThat(dryRun.wouldRefuse()).isEmpty();
                assertThat(dryRun.plan().moves()).hasSize((int) cluster.replicasOn(N1)).allMatch(m -> N1.equals(m.from()));
            });
            assertThat(cluster.metadata.nodes().current()).isEqualTo(before);
        }
    }

    @Test
    void aWorkerThatDiesWhileReceivingReplicasIsReplacedAfterTheGracePeriod() {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, Duration.ofSeconds(10), 16));
        try (ControllerHarness cluster = new ControllerHarness(5, 24, ReplicationProperty.of(3), config, 3)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.placements().values().stream().anyMatch(p -> p.hasNext() && p.joining().contains(N4)), 50,
                    "a move onto N4 under way");
            cluster.kill(N4);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 1_000, "N1 disabled despite N4's death");
            cluster.runUntil(() -> cluster.settled() && cluster.placements().values().stream().noneMatch(p -> p.names(N4)), 1_000,
                    "N4's replicas replaced");
            for (Placement placement : cluster.placements().values()) {
                assertThat(placement.current()).hasSize(3).doesNotContain(N1, N4);
            }
            assertThat(cluster.eventKinds()).contains(EventKind.NODE_DEAD);
        }
    }

    @Test
    void aNewControllerLeaderFinishesTheDrainAndTheOldOneCanNoLongerWrite() {
        try (ControllerHarness cluster = fourWorkers(2)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.placements().values().stream().filter(p -> !p.names(N1)).count() >= 3, 200, "drain half-way");
            ControlLoop old = cluster.loop;
            cluster.loop = cluster.newLoop("controller-b");
            assertThatThrownBy(old::runPass).isInstanceOf(Fence.LostException.class);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 400, "N1 disabled by the new leader");
            assertThat(cluster.loop.lastStatus().leader()).isEqualTo("controller-b");
            assertThat(cluster.replicasOn(N1)).isZero();
        }
    }

    @Test
    void aDrainThatCannotProgressIsReportedStalledWithTheSchedulersReason() {
        ControllerConfig config = ControllerConfig.DEFAULTS.withStallAfter(Duration.ofSeconds(5));
        try (ControllerHarness cluster = new ControllerHarness(3, 6, ReplicationProperty.of(3), config, 1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            assertThat(lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Refused.class);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", true, false);
            cluster.runUntil(() -> cluster.loop.lastStatus() != null
                    && cluster.loop.lastStatus().drain(N1).map(d -> d.stalledPartitions().size() == 6).orElse(false),
                    200, "every partition reported stalled");
            DrainProgress progress = cluster.loop.lastStatus().drain(N1).orElseThrow();
            assertThat(progress.stalledPartitions()).hasSize(6)
                    .allSatisfy(s -> {
                        assertThat(s.reason()).isEqualTo(StallReason.NOT_ENOUGH_CANDIDATES);
                        assertThat(s.message()).isNotBlank();
                    });
            assertThat(progress.replicasRemaining()).isEqualTo(6);
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DRAINING);
            assertThat(cluster.events(EventKind.DRAIN_STALLED)).hasSize(1);
            // Adding a worker unblocks it.
            cluster.addWorker("worker-9", dev.sluice.model.Location.DEFAULT);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 400, "N1 disabled once a new worker joined");
        }
    }

    @Test
    void replacingTwoOfThreeMembersGoesThroughTheUnionOfBothSets() {
        Set<NodeId> current = Set.of(N1, N2, NodeId.of(3));
        Set<NodeId> wanted = Set.of(N2, N4, NodeId.of(5));
        Set<NodeId> first = MoveStepper.configurationStep(current, wanted);
        assertThat(first).containsExactlyInAnyOrder(N1, N2, NodeId.of(3), N4, NodeId.of(5));
        assertThat(MoveStepper.configurationStep(first, wanted)).isEqualTo(wanted);
        // Replacing one of three is allowed directly.
        assertThat(MoveStepper.configurationStep(current, Set.of(N1, N2, N4))).containsExactlyInAnyOrder(N1, N2, N4);
    }

    @Test
    void aDrainingAndADeadMemberOfTheSamePartitionAreBothReplaced() {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, Duration.ofSeconds(5), 16));
        try (ControllerHarness cluster = new ControllerHarness(6, 12, ReplicationProperty.of(3), config, 1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            NodeId dead = cluster.placements().values().stream().filter(p -> p.current().contains(N1))
                    .flatMap(p -> p.current().stream()).filter(n -> !n.equals(N1)).findFirst().orElseThrow();
            cluster.kill(dead);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", true, false);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 1_000, "N1 disabled");
            cluster.runUntil(() -> cluster.settled() && cluster.placements().values().stream().noneMatch(p -> p.names(dead)), 1_000,
                    "the dead worker's replicas replaced");
            for (Placement placement : cluster.placements().values()) {
                assertThat(placement.current()).hasSize(3).doesNotContain(N1, dead);
                assertThat(cluster.dataPlane.group(placement.partition()).configuration).containsExactlyInAnyOrderElementsOf(placement.current());
            }
            assertThat(cluster.dataPlane.majorityRefusals).isZero();
        }
    }

    @Test
    void aLeaderUnderWhichTheConfigurationChangeKeepsFailingIsReplaced() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream()
                    .allMatch(p -> p.leader() != null && p.leader().equals(cluster.dataPlane.group(p.partition()).leader)), 100, "leaders recorded");
            // A partition N1 is in but does not lead: its leader stays through the drain, and is stuck.
            Placement victim = cluster.placements().values().stream()
                    .filter(p -> p.current().contains(N1) && !N1.equals(cluster.dataPlane.group(p.partition()).leader)).findFirst().orElseThrow();
            NodeId stuck = cluster.dataPlane.group(victim.partition()).leader;
            cluster.dataPlane.stuckUnder.put(victim.partition(), stuck);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 2_000, "N1 disabled despite the stuck leader");
            assertThat(cluster.dataPlane.group(victim.partition()).leader).isNotEqualTo(stuck);
            assertThat(cluster.events(EventKind.LEADERSHIP_MOVED)).anySatisfy(e -> {
                assertThat(e.event().partition()).isEqualTo(victim.partition());
                assertThat(e.event().message()).contains("keeps failing");
            });
        }
    }

    @Test
    void noReplicaEverLandsOnAWorkerThatIsNotActive() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            for (int i = 0; i < 200 && cluster.state(N1) != WorkerState.DISABLED; i++) {
                cluster.step();
                for (Placement placement : cluster.placements().values()) {
                    assertThat(placement.joining()).doesNotContain(N1);
                }
            }
            assertThat(Set.of(cluster.state(N1))).containsExactly(WorkerState.DISABLED);
        }
    }
}
