package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A drain that cannot finish says which partition, which worker and why, within a stated bound — for
 * each way the move protocol can wait — and finishes by itself once the cause goes away. Against the
 * simulated data plane, pass by pass.
 */
class ProtocolStallTest {

    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N4 = NodeId.of(4);

    private static ControllerHarness fourWorkers() {
        return new ControllerHarness(4, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1);
    }

    private static Lifecycle lifecycle(ControllerHarness cluster) {
        return new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock);
    }

    private static void settle(ControllerHarness cluster) {
        cluster.runUntil(cluster::settled, 50, "initial placement");
        cluster.runUntil(() -> cluster.placements().values().stream()
                .allMatch(p -> p.leader() != null && p.leader().equals(cluster.dataPlane.group(p.partition()).leader)), 100, "leaders recorded");
    }

    private static Optional<DrainProgress.StalledPartition> stall(ControllerHarness cluster, NodeId draining, StallReason reason) {
        ControllerStatus status = cluster.loop.lastStatus();
        return status == null ? Optional.empty()
                : status.drain(draining).stream().flatMap(d -> d.stalledPartitions().stream()).filter(s -> s.reason() == reason).findFirst();
    }

    private static int steps(Duration duration) {
        return (int) (duration.toMillis() / ControllerHarness.STEP.toMillis());
    }

    @Test
    void aRemovalThatHangsOnTheLeavingWorkerIsReportedAsRemovalPendingAndTheDrainEndsOnceItReturns() {
        try (ControllerHarness cluster = fourWorkers()) {
            settle(cluster);
            PartitionId hanging = cluster.placements().values().stream().filter(p -> p.current().contains(N1)).findFirst().orElseThrow().partition();
            cluster.dataPlane.removalsHang.put(N1, Set.of(hanging));
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.replicasOn(N1) == 0 && cluster.loop.lastStatus().movesInFlight() == 0, 600, "N1 in no replica set");

            // The bound: the worker's removal deadline, one poll, two passes.
            Duration bound = SimulatedDataPlane.REMOVAL_DEADLINE.plus(cluster.config.statusPollInterval())
                    .plus(cluster.config.busyPassInterval().multipliedBy(2));
            cluster.runUntil(() -> stall(cluster, N1, StallReason.REMOVAL_PENDING).isPresent(), steps(bound), "removal-pending reported");
            DrainProgress.StalledPartition stalled = stall(cluster, N1, StallReason.REMOVAL_PENDING).orElseThrow();
            assertThat(stalled.partition()).isEqualTo(hanging);
            assertThat(stalled.worker()).isEqualTo(N1);
            assertThat(stalled.message()).contains(hanging + "'s files").contains("removal pending");
            DrainProgress progress = cluster.loop.lastStatus().drain(N1).orElseThrow();
            assertThat(progress.stalled()).isTrue();
            assertThat(progress.replicasRemaining()).isZero();
            assertThat(progress.waitingFor()).contains(hanging + "'s files");
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DRAINING);
            assertThat(cluster.meters.find("sluice.partitions.stalled").tags("partition", hanging.toString(), "worker", "N1", "reason", "removal-pending")
                    .gauge()).as("the stalled-partitions metric names it").isNotNull().satisfies(gauge -> assertThat(gauge.value()).isEqualTo(1.0));

            // An operator's disable says what it actually waits for.
            assertThat(lifecycle(cluster).request("N1", WorkerState.DISABLED, "", false, false))
                    .isInstanceOfSatisfying(Lifecycle.Outcome.Refused.class, refused ->
                            assertThat(refused.refusal().message()).contains(hanging + "'s files").contains("removal pending"));

            cluster.dataPlane.removalsHang.remove(N1);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 30, "N1 disabled once its removal returned");
        }
    }

    @Test
    void aJoinerThatNeverHostsTheGroupIsNamedAndTheMoveFinishesOnceItDoes() {
        try (ControllerHarness cluster = fourWorkers()) {
            settle(cluster);
            Set<PartitionId> all = new HashSet<>(cluster.placements().keySet());
            cluster.dataPlane.neverHost.put(N4, all);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.placements().values().stream().anyMatch(p -> p.joining().contains(N4)), 50, "a move onto N4 planned");
            Duration bound = cluster.config.stallAfter().plus(cluster.config.statusPollInterval()).plus(cluster.config.busyPassInterval().multipliedBy(2));
            cluster.runUntil(() -> stall(cluster, N1, StallReason.JOINER_NOT_HOSTING).isPresent(), steps(bound), "joiner-not-hosting reported");
            DrainProgress.StalledPartition stalled = stall(cluster, N1, StallReason.JOINER_NOT_HOSTING).orElseThrow();
            assertThat(stalled.worker()).isEqualTo(N4);
            assertThat(cluster.placements().get(stalled.partition()).joining()).contains(N4);

            cluster.dataPlane.neverHost.clear();
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 600, "N1 disabled once N4 hosts its groups");
        }
    }

    @Test
    void aLeaderlessGroupIsNamedAndTheDrainFinishesOnceItElects() {
        try (ControllerHarness cluster = fourWorkers()) {
            settle(cluster);
            PartitionId leaderless = cluster.placements().values().stream().filter(p -> p.current().contains(N1) && !N1.equals(p.leader()))
                    .findFirst().orElseThrow().partition();
            cluster.dataPlane.noElection.add(leaderless);
            // Leaderless before the drain asks anything of it: a change asked in the step the leader is lost could still commit.
            cluster.runUntil(() -> cluster.dataPlane.group(leaderless).leader == null, 5, "the group without a leader");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            Duration bound = cluster.config.stallAfter().plus(cluster.config.statusPollInterval()).plus(cluster.config.busyPassInterval().multipliedBy(2));
            cluster.runUntil(() -> stall(cluster, N1, StallReason.LEADERLESS).isPresent(), steps(bound) + 10, "leaderless reported");
            assertThat(stall(cluster, N1, StallReason.LEADERLESS).orElseThrow().partition()).isEqualTo(leaderless);

            cluster.dataPlane.noElection.clear();
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 600, "N1 disabled once the group elected");
        }
    }

    @Test
    void aWorkerThatStoppedAnsweringGetsNoReplicaAndNoLeadershipWhileItsRegistrationLasts() {
        try (ControllerHarness cluster = new ControllerHarness(5, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            settle(cluster);
            NodeId hung = NodeId.of(5);
            cluster.dataPlane.unresponsive.add(hung);
            // Its next poll (within one poll interval) fails; from the pass that sees that failure on, it is no target.
            for (int i = 0; i < steps(cluster.config.statusPollInterval()) + 2; i++) {
                cluster.step();
            }
            cluster.dataPlane.transferTargets.clear();
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            for (int i = 0; i < 600 && cluster.state(N1) != WorkerState.DISABLED; i++) {
                cluster.step();
                for (Placement placement : cluster.placements().values()) {
                    assertThat(placement.joining()).as("%s joins a hung worker", placement.partition()).doesNotContain(hung);
                }
            }
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DISABLED);
            assertThat(cluster.dataPlane.transferTargets).as("leadership transfers asked for").noneMatch(t -> t.endsWith("→" + hung));
            assertThat(cluster.metadata.liveness().readAll().keySet()).as("the hung worker is still registered").contains(hung);
        }
    }

    @Test
    void aMoveWhoseDrivingThrowsIsReportedAndTheOtherMovesGoOn() {
        try (ControllerHarness cluster = fourWorkers()) {
            settle(cluster);
            PartitionId broken = cluster.placements().values().stream().filter(p -> p.current().contains(N1)).findFirst().orElseThrow().partition();
            cluster.dataPlane.callsThrow.add(broken);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.placements().values().stream().filter(p -> p.names(N1)).map(Placement::partition).toList().equals(List.of(broken)),
                    600, "every other partition moved off N1");
            Duration bound = cluster.config.stallAfter().plus(cluster.config.busyPassInterval().multipliedBy(2));
            cluster.runUntil(() -> stall(cluster, N1, StallReason.CONFIGURATION_CHANGE_FAILING).isPresent(), steps(bound) + 10, "the broken move reported");
            assertThat(stall(cluster, N1, StallReason.CONFIGURATION_CHANGE_FAILING).orElseThrow().message()).contains("BUG").contains("simulated bug");

            cluster.dataPlane.callsThrow.clear();
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 300, "N1 disabled once the call works");
        }
    }

    /**
     * A receiving worker killed while the change adding it is staged: Ratis keeps such a change in progress
     * for as long as clients write (the simulated data plane does the same) and refuses every later change,
     * so the move, and the drain, would wait for good (the change's call times out after two minutes, and
     * every attempt after it is refused). The controller has the leader step down once the change has made no
     * progress for the stall period; the move, revised onto a live worker after the dead-node grace period
     * (60 s), completes, and the drain ends disabled within two minutes.
     */
    @Test
    void aChangeStagingAReceiverThatDiedIsEndedByAStepDownAndTheDrainFinishes() {
        // Two steps of latency, so a change is still under way between two steps and its joiner can die meanwhile.
        try (ControllerHarness cluster = new ControllerHarness(5, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 2)) {
            settle(cluster);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> changingWithJoiner(cluster).isPresent(), 200, "a configuration change under way");
            Placement changing = changingWithJoiner(cluster).orElseThrow();
            NodeId receiver = changing.joining().getFirst();
            cluster.kill(receiver);
            cluster.runUntil(() -> cluster.dataPlane.stagingsStuck > 0, 20, "the change stuck staging the dead receiver " + receiver);

            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, steps(Duration.ofMinutes(2)), "N1 disabled");
            assertThat(cluster.dataPlane.stagingsEndedByStepDown).as("stuck changes the controller ended by a step-down").isPositive();
            assertThat(cluster.placements().get(changing.partition()).names(receiver)).as("the dead receiver left the partition").isFalse();
        }
    }

    /**
     * A draining leader's leadership transfer whose target dies as it starts fails at once, and Ratis leaves it
     * pending (found on real nodes: {@code LocalClusterLifecycleScenariosTest} timed out with every later
     * transfer refused for three minutes because "a previous TransferLeadershipRequest exists"). That leader then
     * refuses changes and every other transfer until it stops leading. The controller makes it step down at once,
     * and the drain ends. Without the step-down the move retries the refused transfers for ever.
     */
    @Test
    void aTransferLeftPendingOnADrainingLeaderIsEndedByAStepDownAndTheDrainFinishes() {
        try (ControllerHarness cluster = new ControllerHarness(5, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 2)) {
            cluster.dataPlane.transfersToTheDeadLeftPending = true;
            settle(cluster);
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> transferFrom(cluster, N1).isPresent(), 200, "a leadership transfer away from N1 under way");
            NodeId target = cluster.dataPlane.pendingTransfer(transferFrom(cluster, N1).orElseThrow()).orElseThrow();
            cluster.kill(target);
            cluster.runUntil(() -> cluster.dataPlane.transfersLeftPending > 0, 20, "the transfer to " + target + " left pending");

            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, steps(Duration.ofMinutes(2)), "N1 disabled");
            assertThat(cluster.dataPlane.leftPendingEndedByStepDown).as("transfers left pending that a step-down ended").isPositive();
            assertThat(cluster.dataPlane.leftPending()).as("leaders still holding a transfer left pending").isEmpty();
        }
    }

    /**
     * The same on a partition that is not moving: a worker going into maintenance has its leaderships moved off
     * (no replica set changes), the target of one dies as that transfer starts, and the leader left holding it is
     * made to step down, so the partition takes changes (and, on real nodes, writes) again within seconds.
     */
    @Test
    void aTransferLeftPendingOutsideAnyMoveIsEndedByAStepDown() {
        try (ControllerHarness cluster = new ControllerHarness(5, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 2)) {
            cluster.dataPlane.transfersToTheDeadLeftPending = true;
            settle(cluster);
            NodeId away = NodeId.of(2);
            new MaintenanceRequests(cluster.metadata, lifecycle(cluster), cluster.clock).begin(away.toString(), "kernel patch", Duration.ofMinutes(10),
                    false, false);
            cluster.runUntil(() -> transferFrom(cluster, away).isPresent(), 100, "a leadership transfer away from " + away + " under way");
            PartitionId partition = transferFrom(cluster, away).orElseThrow();
            NodeId target = cluster.dataPlane.pendingTransfer(partition).orElseThrow();
            cluster.kill(target);
            cluster.runUntil(() -> cluster.dataPlane.transfersLeftPending > 0, 20, "the transfer to " + target + " left pending");
            assertThat(cluster.placements().get(partition).hasNext()).as("the partition is not moving").isFalse();

            cluster.runUntil(() -> cluster.dataPlane.leftPending().isEmpty(), steps(Duration.ofSeconds(10)), "no leader holding a transfer left pending");
            assertThat(cluster.dataPlane.leftPendingEndedByStepDown).as("transfers left pending that a step-down ended").isPositive();
        }
    }

    /** A partition whose leader is {@code leader} and which has a leadership transfer under way in the data plane. */
    private static Optional<PartitionId> transferFrom(ControllerHarness cluster, NodeId leader) {
        return cluster.placements().keySet().stream()
                .filter(partition -> leader.equals(cluster.dataPlane.group(partition).leader) && cluster.dataPlane.pendingTransfer(partition).isPresent())
                .findFirst();
    }

    /** A placement whose configuration change is under way in the data plane and adds a member. */
    private static Optional<Placement> changingWithJoiner(ControllerHarness cluster) {
        return cluster.placements().values().stream()
                .filter(p -> p.hasNext() && !p.joining().isEmpty() && cluster.dataPlane.group(p.partition()).changing)
                .findFirst();
    }

    @Test
    void everyStallReasonHasAWireNameTheDocsUse() {
        assertThat(List.of(StallReason.values())).extracting(StallReason::wireName).doesNotHaveDuplicates().allMatch(n -> n.matches("[a-z-]+"));
    }
}
