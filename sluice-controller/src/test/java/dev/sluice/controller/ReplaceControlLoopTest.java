package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.EventKind;
import dev.sluice.model.Location;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The replace and the runtime throttles in the control loop, against simulated Raft groups: a replace moves exactly the
 * old worker's replicas to the new one and ends with it disabled (also across a controller failover, under a throttle
 * lowered at run time, which the next leader keeps); a receiving worker that dies stalls the replace with
 * {@code replacement-unavailable} naming it, and a cancel leaves what moved; a bad throttle value changes nothing.
 */
class ReplaceControlLoopTest {

    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N5 = NodeId.of(5);

    /** Four workers placed and settled, and a fifth, cordoned before any pass could fill it. */
    private static ControllerHarness fourAndACordonedFifth() {
        ControllerHarness cluster = new ControllerHarness(4, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 2);
        cluster.runUntil(cluster::settled, 100, "initial placement");
        NodeId fresh = cluster.addWorker("worker-5", Location.parse("local.zone-1"));
        assertThat(fresh).isEqualTo(N5);
        assertThat(new CordonRequests(cluster.metadata, cluster.clock).cordon("worker-5", "replacement", Optional.empty()))
                .isInstanceOf(CordonRequests.Outcome.Done.class);
        return cluster;
    }

    private static ReplaceRequests replaces(ControllerHarness cluster) {
        Lifecycle lifecycle = new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock);
        SettingsRequests settings = new SettingsRequests(cluster.metadata, cluster.config.limits(), cluster.clock);
        return new ReplaceRequests(cluster.metadata, lifecycle, () -> settings.limits(cluster.config.limits()), cluster.clock);
    }

    private static Map<PartitionId, List<NodeId>> sets(ControllerHarness cluster) {
        Map<PartitionId, List<NodeId>> sets = new TreeMap<>();
        cluster.placements().forEach((partition, placement) -> sets.put(partition, placement.current().stream().sorted().toList()));
        return sets;
    }

    private static Map<PartitionId, List<NodeId>> swapped(Map<PartitionId, List<NodeId>> before) {
        Map<PartitionId, List<NodeId>> after = new TreeMap<>();
        before.forEach((partition, set) -> after.put(partition, set.stream().map(n -> n.equals(N1) ? N5 : n).sorted().toList()));
        return after;
    }

    @Test
    void aReplaceUnderARuntimeThrottleSurvivesAFailoverAndMovesExactlyTheOldWorkersReplicas() {
        try (ControllerHarness cluster = fourAndACordonedFifth()) {
            Map<PartitionId, List<NodeId>> before = sets(cluster);
            SettingsRequests settings = new SettingsRequests(cluster.metadata, cluster.config.limits(), cluster.clock);
            assertThat(settings.change(0, null, Optional.empty())).isInstanceOf(SettingsRequests.Outcome.Invalid.class);
            assertThat(settings.effective().stored()).as("a refused value writes nothing").isFalse();
            assertThat(settings.change(1, null, Optional.empty())).isInstanceOf(SettingsRequests.Outcome.Done.class);
            assertThat(cluster.events(EventKind.SETTINGS_CHANGED)).singleElement().satisfies(e ->
                    assertThat(e.event().message()).isEqualTo("throttles changed by operator: max-changes-per-node 4 → 1, max-changes-in-cluster 16 → 16"
                            + " (until now the controller's flags)"));

            // The loop reads the stored throttles at most once a second: it plans with the new one within a second of simulated time.
            cluster.runUntil(() -> cluster.loop.lastStatus().throttles().maxChangesPerNode() == 1, 20, "the loop plans with the runtime throttle");

            ReplaceRequests.Outcome outcome = replaces(cluster).request("worker-1", "worker-5", "disk failing", false, Optional.empty());
            assertThat(outcome).isInstanceOf(ReplaceRequests.Outcome.Started.class);
            ReplaceRequests.Plan plan = ((ReplaceRequests.Outcome.Started) outcome).plan();
            assertThat(plan.report().moves()).hasSize(18);
            assertThat(plan.waves()).as("one move at a time under the runtime throttle").isEqualTo(18);
            int[] mostAtOnce = {0};
            cluster.runUntil(() -> {
                mostAtOnce[0] = Math.max(mostAtOnce[0], (int) cluster.placements().values().stream().filter(Placement::hasNext).count());
                return cluster.replicasOn(N5) >= 6;
            }, 2_000, "a third of the replace");
            assertThat(cluster.loop.lastStatus().throttles().maxChangesPerNode()).isEqualTo(1);

            cluster.loop = cluster.newLoop("controller-b");
            cluster.runUntil(() -> {
                mostAtOnce[0] = Math.max(mostAtOnce[0], (int) cluster.placements().values().stream().filter(Placement::hasNext).count());
                return cluster.state(N1) == WorkerState.DISABLED;
            }, 4_000, "N1 disabled by the next leader");
            assertThat(mostAtOnce[0]).isEqualTo(1);
            assertThat(cluster.loop.lastStatus().throttles().maxChangesPerNode()).as("the next leader plans with the stored throttle").isEqualTo(1);
            assertThat(sets(cluster)).isEqualTo(swapped(before));
            assertThat(cluster.node(N1).replacement()).isNull();
            cluster.runUntil(() -> cluster.loop.lastStatus().drain(N1).map(d -> d.state() == WorkerState.DISABLED).orElse(false), 100, "drain record ended");
            assertThat(cluster.loop.lastStatus().drain(N1).orElseThrow().replacedBy()).isEqualTo(N5);
            assertThat(cluster.eventKinds()).contains(EventKind.REPLACE_STARTED, EventKind.REPLACE_FINISHED).doesNotContain(EventKind.DRAIN_STARTED);
        }
    }

    @Test
    void whenTheReceivingWorkerDiesTheReplaceStallsNamingItAndACancelKeepsWhatMoved() {
        try (ControllerHarness cluster = fourAndACordonedFifth()) {
            // One move at a time, so that the replace is part-way when N5 dies.
            new SettingsRequests(cluster.metadata, cluster.config.limits(), cluster.clock).change(1, null, Optional.empty());
            cluster.runUntil(() -> cluster.loop.lastStatus().throttles().maxChangesPerNode() == 1, 20, "the loop plans with the runtime throttle");
            assertThat(replaces(cluster).request("worker-1", "worker-5", "", false, Optional.empty())).isInstanceOf(ReplaceRequests.Outcome.Started.class);
            cluster.runUntil(() -> cluster.replicasOn(N5) >= 4, 2_000, "some replicas moved");
            cluster.kill(N5);
            // The move under way to N5 stalls first (worker-not-reporting); the moves not started wait for N5 and say so.
            cluster.runUntil(() -> cluster.loop.lastStatus().drain(N1).map(d -> d.stalledPartitions().stream()
                    .anyMatch(stall -> stall.reason() == StallReason.REPLACEMENT_UNAVAILABLE)).orElse(false), 2_000, "the replace stalls waiting for N5");
            DrainProgress drain = cluster.loop.lastStatus().drain(N1).orElseThrow();
            assertThat(drain.stalledPartitions()).isNotEmpty().allSatisfy(stall -> assertThat(stall.worker()).isEqualTo(N5))
                    .anySatisfy(stall -> assertThat(stall.reason()).isEqualTo(StallReason.REPLACEMENT_UNAVAILABLE));
            assertThat(cluster.placements().values()).as("nothing goes elsewhere").allSatisfy(p -> assertThat(p.members()).isSubsetOf(
                    List.of(NodeId.of(1), NodeId.of(2), NodeId.of(3), NodeId.of(4), N5)));

            Lifecycle lifecycle = new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock);
            assertThat(lifecycle.request("N1", WorkerState.ACTIVE, "cancel the replace", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            assertThat(cluster.node(N1).replacement()).isNull();
            cluster.runUntil(() -> cluster.eventKinds().contains(EventKind.REPLACE_CANCELLED), 200, "the cancel logged");
            assertThat(cluster.placements().values().stream().filter(p -> p.current().contains(N5)).count()).as("what moved stays")
                    .isGreaterThanOrEqualTo(3);
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.ACTIVE);
        }
    }
}
