package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.EventKind;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Rolling restarts against simulated Raft groups, pass by pass, with the harness as each worker's supervisor:
 * a worker asked to shut down stops, and starts again two seconds later with a new generation.
 */
class RolloutTest {

    private static final Duration SETTLE = Duration.ofMinutes(1);

    private static ControllerHarness settledFourWorkers() {
        return settledFourWorkers(1);
    }

    private static ControllerHarness settledFourWorkers(int latencySteps) {
        ControllerHarness cluster = new ControllerHarness(4, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, latencySteps);
        cluster.runUntil(cluster::settled, 100, "initial placement");
        cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), 100, "leaders known");
        // Long enough for every worker to have reported its groups and leaderships since they were placed.
        for (int i = 0; i < 30; i++) {
            cluster.step();
        }
        return cluster;
    }

    private static RolloutRequests requests(ControllerHarness cluster) {
        return new RolloutRequests(cluster.metadata, new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock), cluster.clock);
    }

    private static Rollout rollout(ControllerHarness cluster) {
        return new ControllerDocuments(cluster.metadata).rollout().orElseThrow().rollout();
    }

    private static int steps(Duration duration) {
        return Math.toIntExact(duration.toMillis() / ControllerHarness.STEP.toMillis());
    }

    private static Map<Object, List<NodeId>> replicaSets(ControllerHarness cluster) {
        Map<Object, List<NodeId>> sets = new TreeMap<>();
        cluster.placements().forEach((partition, placement) -> sets.put(partition, placement.current().stream().sorted().toList()));
        return sets;
    }

    @Test
    void everyWorkerIsRestartedOnceInOrderWithoutAReplicaMove() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            Map<Object, List<NodeId>> before = replicaSets(cluster);
            long mark = cluster.metadata.events().latest(1).getLast().sequence();

            RolloutRequests.Outcome outcome = requests(cluster).start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(5), "jvm upgrade", false);

            assertThat(outcome).isInstanceOf(RolloutRequests.Outcome.Done.class);
            cluster.runUntil(() -> rollout(cluster).state() == Rollout.State.COMPLETED, steps(Duration.ofMinutes(10)), "the rollout completes");
            Rollout done = rollout(cluster);
            assertThat(done.steps()).extracting(Rollout.Step::node).containsExactly(NodeId.of(1), NodeId.of(2), NodeId.of(3), NodeId.of(4));
            assertThat(done.steps()).allSatisfy(step -> assertThat(step.phase()).isEqualTo(Rollout.Phase.DONE));
            for (int id = 1; id <= 4; id++) {
                assertThat(cluster.node(NodeId.of(id)).id().generation()).as("N%d restarted exactly once", id).isEqualTo(2);
                assertThat(cluster.node(NodeId.of(id)).maintenance().end().cause()).isEqualTo(Maintenance.EndCause.CAUGHT_UP);
            }
            // One worker at a time: each began only once the one before it was done.
            for (int i = 1; i < done.steps().size(); i++) {
                assertThat(done.steps().get(i).startedAt()).isAfterOrEqualTo(done.steps().get(i - 1).doneAt());
            }
            assertThat(replicaSets(cluster)).isEqualTo(before);
            List<EventKind> kinds = cluster.metadata.events().read(mark, dev.sluice.metadata.EventLog.MAX_READ).stream().map(e -> e.event().kind()).toList();
            assertThat(kinds).doesNotContain(EventKind.PARTITION_MOVE_STARTED, EventKind.PARTITION_MOVED);
            assertThat(kinds.stream().filter(EventKind.ROLLOUT_NODE_RESTARTED::equals)).hasSize(4);
            assertThat(kinds).containsSubsequence(EventKind.ROLLOUT_STARTED, EventKind.MAINTENANCE_STARTED, EventKind.ROLLOUT_NODE_RESTARTED,
                    EventKind.ROLLOUT_ENDED);
            cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), steps(SETTLE), "leaders known");
        }
    }

    /**
     * A worker asked to shut down says so in its status while it hands over and closes, which may take longer than
     * the driver's retry interval (10 s); it is not asked again meanwhile. It was, and the second request, reaching a
     * node whose port was closing, was logged as a failed shutdown of a worker that was on its way out.
     */
    @Test
    void aWorkerThatSaysItIsShuttingDownIsAskedOnce() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            cluster.shutdownTakes = RolloutDriver.SHUTDOWN_RETRY.plusSeconds(5);
            requests(cluster).start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(5), "", false);
            cluster.runUntil(() -> rollout(cluster).state() == Rollout.State.COMPLETED, steps(Duration.ofMinutes(10)), "the rollout completes");
            assertThat(cluster.dataPlane.shutdownsAsked).isEqualTo(Map.of(NodeId.of(1), 1, NodeId.of(2), 1, NodeId.of(3), 1, NodeId.of(4), 1));
        }
    }

    /**
     * Issue 14's bound: per restarted worker, each leadership it held moves away once and, as balancing evens the
     * leaderships out again, as many move back — no leadership moves twice for one restart. Transfers take half a
     * second here, as on real groups, so passes begin while earlier transfers are still under way.
     */
    @Test
    void eachRestartMovesTheWorkersLeadershipsAwayOnceAndAsManyBack() {
        try (ControllerHarness cluster = settledFourWorkers(5)) {
            long mark = cluster.metadata.events().latest(1).getLast().sequence();

            requests(cluster).start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(5), "", false);
            cluster.runUntil(() -> rollout(cluster).state() == Rollout.State.COMPLETED, steps(Duration.ofMinutes(10)), "the rollout completes");
            cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), steps(SETTLE), "leaders known");
            for (int i = 0; i < steps(Duration.ofSeconds(30)); i++) {
                cluster.step();
            }

            List<dev.sluice.model.ClusterEvent> events = cluster.metadata.events().read(mark, dev.sluice.metadata.EventLog.MAX_READ).stream()
                    .map(dev.sluice.metadata.EventLog.LoggedEvent::event).toList();
            long away = events.stream().filter(e -> e.kind() == EventKind.LEADERSHIP_MOVED && e.message().endsWith("(leader-in-maintenance)")).count();
            long all = events.stream().filter(e -> e.kind() == EventKind.LEADERSHIP_MOVED).count();
            assertThat(away).as("leaderships moved off workers in maintenance").isPositive();
            assertThat(all).as("every leadership change: " + events.stream().filter(e -> e.kind() == EventKind.LEADERSHIP_MOVED)
                    .map(dev.sluice.model.ClusterEvent::message).toList()).isLessThanOrEqualTo(2 * away);
        }
    }

    @Test
    void aWorkerThatNeverComesBackStopsTheRolloutAndKeepsItsReplicas() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            cluster.restartAfter = null;
            Map<Object, List<NodeId>> before = replicaSets(cluster);

            requests(cluster).start(new RolloutRequests.Selection(List.of("worker-2", "worker-3"), null), Duration.ofSeconds(30), "", false);
            cluster.runUntil(() -> rollout(cluster).state().ended(), steps(Duration.ofMinutes(3)), "the rollout ends");

            Rollout stopped = rollout(cluster);
            assertThat(stopped.state()).isEqualTo(Rollout.State.STOPPED);
            assertThat(stopped.stoppedBecause()).startsWith("N2 (worker-2) did not come back within 30 s; it stays in maintenance until ");
            assertThat(stopped.steps().get(0).phase()).isEqualTo(Rollout.Phase.RESTARTING);
            assertThat(stopped.steps().get(1).phase()).isEqualTo(Rollout.Phase.WAITING);
            assertThat(cluster.running(NodeId.of(3))).isTrue();
            assertThat(cluster.node(NodeId.of(2)).inMaintenanceAt(cluster.clock.instant())).isTrue();
            // Well past the dead-node grace period (60 s), the maintenance still keeps N2's replicas where they are.
            java.time.Instant wentAway = stopped.steps().get(0).phaseSince();
            cluster.runUntil(() -> cluster.clock.instant().isAfter(wentAway.plus(Duration.ofSeconds(100))), steps(Duration.ofMinutes(2)), "100 s away");
            assertThat(cluster.node(NodeId.of(2)).inMaintenanceAt(cluster.clock.instant())).isTrue();
            assertThat(replicaSets(cluster)).isEqualTo(before);
            assertThat(cluster.events(EventKind.ROLLOUT_ENDED)).singleElement()
                    .satisfies(e -> assertThat(e.event().message()).contains("stopped: N2 (worker-2) did not come back within 30 s"));
        }
    }

    @Test
    void aNewControllerLeaderResumesTheRolloutWithoutRepeatingAStep() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            requests(cluster).start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(5), "", false);
            cluster.runUntil(() -> rollout(cluster).steps().get(1).phase() == Rollout.Phase.RESTARTING, steps(Duration.ofMinutes(3)),
                    "the second worker restarting");

            cluster.loop = cluster.newLoop("controller-b");
            cluster.runUntil(() -> rollout(cluster).state() == Rollout.State.COMPLETED, steps(Duration.ofMinutes(10)), "the rollout completes");

            for (int id = 1; id <= 4; id++) {
                assertThat(cluster.node(NodeId.of(id)).id().generation()).as("N%d restarted exactly once", id).isEqualTo(2);
            }
            assertThat(cluster.events(EventKind.MAINTENANCE_STARTED)).hasSize(4);
        }
    }

    @Test
    void aCancelledRolloutBeginsNoFurtherWorker() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            requests(cluster).start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(5), "", false);
            cluster.runUntil(() -> rollout(cluster).steps().get(0).phase() == Rollout.Phase.DONE, steps(Duration.ofMinutes(3)), "the first worker done");

            RolloutRequests.Outcome cancelled = requests(cluster).cancel();
            assertThat(cancelled).isInstanceOf(RolloutRequests.Outcome.Done.class);
            cluster.runUntil(() -> cluster.clock.instant().isAfter(rollout(cluster).updatedAt().plus(Duration.ofMinutes(1))), steps(Duration.ofMinutes(2)),
                    "a minute after the cancel");

            Rollout rollout = rollout(cluster);
            assertThat(rollout.state()).isEqualTo(Rollout.State.CANCELLED);
            long restarted = java.util.stream.IntStream.rangeClosed(1, 4).filter(id -> cluster.node(NodeId.of(id)).id().generation() == 2).count();
            assertThat(restarted).as("workers restarted").isLessThanOrEqualTo(2);
            for (int id = 1; id <= 4; id++) {
                assertThat(cluster.node(NodeId.of(id)).inMaintenanceAt(cluster.clock.instant())).as("N%d in maintenance", id).isFalse();
            }
            assertThat(requests(cluster).cancel()).isEqualTo(new RolloutRequests.Outcome.Done(rollout, false));
        }
    }

    @Test
    void aRolloutThatWouldCostPartitionsTheirMajorityIsRefusedAndADryRunSaysWhy() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            cluster.kill(NodeId.of(4));
            cluster.runUntil(() -> !cluster.metadata.liveness().readAll().containsKey(NodeId.of(4)), 10, "N4's liveness gone");

            RolloutRequests.Outcome planned = requests(cluster).start(new RolloutRequests.Selection(List.of("worker-1", "worker-2"), null),
                    Duration.ofMinutes(5), "", true);
            assertThat(planned).isInstanceOfSatisfying(RolloutRequests.Outcome.Planned.class, plan -> {
                assertThat(plan.allowed()).isFalse();
                assertThat(plan.plan()).extracting(step -> step.node().nodeId()).containsExactly(NodeId.of(1), NodeId.of(2));
                assertThat(plan.plan()).allSatisfy(step -> assertThat(step.blocking()).isNotEmpty());
            });

            RolloutRequests.Outcome refused = requests(cluster).start(new RolloutRequests.Selection(List.of("worker-1", "worker-2"), null),
                    Duration.ofMinutes(5), "", false);
            assertThat(refused).isInstanceOfSatisfying(RolloutRequests.Outcome.Refused.class,
                    r -> assertThat(r.message()).startsWith("restarting these workers one at a time would cost partitions their majority: N1 (worker-1): "));
            assertThat(new ControllerDocuments(cluster.metadata).rollout()).isEmpty();
        }
    }

    @Test
    void badSelectionsChangeNothing() {
        try (ControllerHarness cluster = settledFourWorkers()) {
            RolloutRequests requests = requests(cluster);
            assertThat(requests.start(new RolloutRequests.Selection(List.of("nobody"), null), Duration.ofMinutes(5), "", false))
                    .isInstanceOfSatisfying(RolloutRequests.Outcome.Invalid.class, invalid -> assertThat(invalid.message()).contains("nobody"));
            assertThat(requests.start(new RolloutRequests.Selection(List.of("worker-1", "N1"), null), Duration.ofMinutes(5), "", false))
                    .isEqualTo(new RolloutRequests.Outcome.Invalid("N1 (worker-1) is named twice"));
            assertThat(requests.start(new RolloutRequests.Selection(List.of(), "mars"), Duration.ofMinutes(5), "", false))
                    .isInstanceOfSatisfying(RolloutRequests.Outcome.Invalid.class, invalid -> assertThat(invalid.message()).startsWith("no active worker is in zone 'mars'"));
            assertThat(requests.start(new RolloutRequests.Selection(List.of(), null), Duration.ofSeconds(1), "", false))
                    .isInstanceOf(RolloutRequests.Outcome.Invalid.class);
            assertThat(new ControllerDocuments(cluster.metadata).rollout()).isEmpty();

            requests.start(new RolloutRequests.Selection(List.of("worker-1"), null), Duration.ofMinutes(5), "", false);
            assertThat(requests.start(new RolloutRequests.Selection(List.of("worker-2"), null), Duration.ofMinutes(5), "", false))
                    .isInstanceOfSatisfying(RolloutRequests.Outcome.Refused.class, r -> assertThat(r.message()).contains("is running"));
        }
    }
}
