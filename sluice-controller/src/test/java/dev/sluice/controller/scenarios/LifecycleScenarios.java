package dev.sluice.controller.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.DrainProgress;
import dev.sluice.controller.Lifecycle;
import dev.sluice.controller.MaintenanceRequests;
import dev.sluice.controller.Rollout;
import dev.sluice.controller.RolloutRequests;
import dev.sluice.controller.StallReason;
import dev.sluice.controller.scenarios.ScenarioCluster.HostedReplica;
import dev.sluice.controller.scenarios.ScenarioCluster.Shape;
import dev.sluice.metadata.AuditLog;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.EventLog.LoggedEvent;
import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The worker-lifecycle scenarios that mean the same on the simulated data plane and on real nodes, written
 * once against {@link ScenarioCluster}. Each plane's subclass says how to start a cluster; everything a
 * scenario checks is read the way an operator or the data plane would show it — the group configurations
 * from the workers' Raft servers, never only the placements — so a scenario can fail on either plane.
 * Scenarios that only make sense on one plane (exact pass counts, a hand-moved clock, client load, files
 * on disk) stay in that plane's own tests.
 *
 * <p>Every scenario starts a fresh cluster: a drain changes the cluster for good, and a scenario that
 * inherited another's moves could pass or fail for the other's reasons.
 */
public abstract class LifecycleScenarios {

    protected static final NodeId N1 = NodeId.of(1);
    protected static final NodeId N2 = NodeId.of(2);
    protected static final NodeId N5 = NodeId.of(5);

    private static final Pattern LEADERSHIP_MOVE = Pattern.compile("leadership (N[0-9]+) → (N[0-9]+)");
    private static final Pattern REPLICA_MOVE = Pattern.compile("moved (\\[[^]]*\\]) →");

    /**
     * A fresh cluster's first placements, their balancing and elections. On real nodes on the shared two-core
     * build machine this took up to 40 s while other builds ran.
     */
    static final Duration SETTLE = Duration.ofMinutes(2);
    /** A drain of a few replicas each way; ControllerDrainTest gave the same drains 3 minutes under client load. */
    static final Duration DRAIN = Duration.ofMinutes(3);
    /** Followers learn a committed configuration within a heartbeat or two; removals have a 10 s deadline. */
    static final Duration GROUPS_CONVERGE = Duration.ofSeconds(30);
    /** The controller publishes its status at least every second while something changes. */
    static final Duration STATUS_PUBLISHED = Duration.ofSeconds(30);
    /** Four workers restarted one after another, each waiting for its groups to catch up; on real nodes about 10 s each. */
    static final Duration ROLLOUT = Duration.ofMinutes(4);

    /** Starts a cluster of {@code shape} on this plane; it need not have placed anything yet. */
    protected abstract ScenarioCluster start(Shape shape);

    private static Shape shape(int workers, int partitions, ControllerConfig controller) {
        return new Shape(workers, partitions, 3, controller);
    }

    private static ControllerConfig limits(int changesPerNode, Duration deadNodeGrace) {
        return ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(changesPerNode, SchedulerLimits.DEFAULT_MAX_CHANGES_IN_CLUSTER,
                deadNodeGrace, SchedulerLimits.DEFAULT_MAX_FILL_MOVES_PER_PASS));
    }

    // ---------------------------------------------------------------------------------------------
    // Scenarios

    @Test
    void aDrainedWorkerEndsDisabledHavingMovedExactlyItsReplicas() {
        try (ScenarioCluster cluster = settled(shape(4, 12, ControllerConfig.DEFAULTS))) {
            Set<PartitionId> held = partitionsNaming(cluster, N1);
            assertThat(cluster.hosting(N1).keySet()).as("what N1's Raft server hosts before the drain").isEqualTo(held);
            long mark = lastEventSequence(cluster);

            Lifecycle.Outcome outcome = cluster.lifecycle().request("worker-1", WorkerState.DRAINING, "kernel upgrade", false, false);
            assertThat(outcome).isInstanceOf(Lifecycle.Outcome.Done.class);
            cluster.await("N1 disabled", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);
            cluster.await("no move under way", SETTLE, () -> noMoveUnderWay(cluster));

            assertThat(cluster.hosting(N1)).as("what N1's Raft server hosts once disabled").isEmpty();
            for (Placement placement : placements(cluster).values()) {
                assertThat(placement.current()).hasSize(3).doesNotContain(N1);
            }
            awaitGroupsMatchPlacements(cluster);
            // The controller writes its events off its pass thread (StatusWriter), so the drain-completed event
            // can land a moment after the disable it reports (it read the log in between once in four verify runs on 2026-11-28).
            cluster.await("drain-completed logged", SETTLE,
                    () -> eventsAfter(cluster, mark).stream().anyMatch(e -> e.event().kind() == EventKind.DRAIN_COMPLETED));
            List<LoggedEvent> events = eventsAfter(cluster, mark);
            assertThat(events.stream().filter(e -> e.event().kind() == EventKind.PARTITION_MOVED).map(e -> e.event().partition()))
                    .as("partitions moved by the drain, each once").containsExactlyInAnyOrderElementsOf(held);
            assertThat(events.stream().map(e -> e.event().kind()))
                    .containsSubsequence(EventKind.DRAIN_STARTED, EventKind.PARTITION_MOVED, EventKind.DRAIN_COMPLETED);
            assertThat(transitionsOf(cluster, N1).stream().filter(r -> r.to() == WorkerState.DISABLED)).singleElement().satisfies(disable -> {
                assertThat(disable.actor()).isEqualTo(Actor.CONTROLLER);
                assertThat(disable.from()).isEqualTo(WorkerState.DRAINING);
            });

            DrainProgress finished = publishedDrain(cluster, N1, WorkerState.DISABLED);
            assertThat(finished.replicasAtStart()).isEqualTo(held.size());
            assertThat(finished.movesDone()).isEqualTo(held.size());
            assertThat(finished.replicasRemaining()).isZero();
            assertThat(finished.leadershipsRemaining()).isZero();
        }
    }

    @Test
    void leadershipLeavesTheDrainingWorkerBeforeItsReplicasDo() {
        try (ScenarioCluster cluster = settled(shape(4, 12, ControllerConfig.DEFAULTS))) {
            List<PartitionId> ledByN1 = cluster.hosting(N1).values().stream().filter(HostedReplica::leads).map(HostedReplica::partition).toList();
            assertThat(ledByN1).as("partitions N1's Raft server leads").isNotEmpty();
            long mark = lastEventSequence(cluster);

            cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false);
            cluster.await("N1 disabled", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);

            List<LoggedEvent> events = eventsAfter(cluster, mark);
            for (PartitionId partition : ledByN1) {
                List<LoggedEvent> ofPartition = events.stream().filter(e -> partition.equals(e.event().partition())).toList();
                String history = ofPartition.stream().map(e -> e.sequence() + " " + e.event().message()).toList().toString();
                long leadershipMoved = ofPartition.stream()
                        .filter(e -> e.event().kind() == EventKind.LEADERSHIP_MOVED && N1.equals(e.event().node())).findFirst()
                        .orElseThrow(() -> new AssertionError(partition + ": no leadership moved off N1; events: " + history)).sequence();
                long replicaMoved = ofPartition.stream().filter(e -> e.event().kind() == EventKind.PARTITION_MOVED).findFirst()
                        .orElseThrow(() -> new AssertionError(partition + ": never moved; events: " + history)).sequence();
                assertThat(leadershipMoved).as("%s: leadership moved before its replica; events: %s", partition, history).isLessThan(replicaMoved);
            }
        }
    }

    /**
     * A worker that comes back after a drain is filled first and gets its leaderships after: balancing them
     * while the fill still changed replica sets once moved a leadership to a member the next fill move took
     * out, back again, and on (about 20 leadership events for six real changes).
     */
    @Test
    void aWorkerThatComesBackIsFilledBeforeLeadershipsAreBalanced() {
        try (ScenarioCluster cluster = settled(shape(4, 24, ControllerConfig.DEFAULTS))) {
            cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false);
            cluster.await("N1 disabled", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);
            // At once, as an operator does after `drain --wait`: the leaderships the drain moved are still being
            // balanced over the other three when the fill begins.
            long mark = lastEventSequence(cluster);
            cluster.lifecycle().request("N1", WorkerState.ACTIVE, "back from maintenance", false, false);
            cluster.await("N1 filled and leading its share", DRAIN, () -> noMoveUnderWay(cluster) && partitionsNaming(cluster, N1).size() == 18
                    && cluster.hosting(N1).values().stream().filter(HostedReplica::leads).count() == 6);

            List<LoggedEvent> events = eventsAfter(cluster, mark);
            String history = events.stream().map(e -> e.sequence() + " " + e.event().message()).toList().toString();
            // Per partition, in log order: who led it before each leadership move and who after, and who each
            // replica move took out. A leadership given to a member the fill then takes out, or given back to
            // the member it was taken from, is a move that did not need to happen.
            Map<PartitionId, List<NodeId>> leaders = new HashMap<>();
            for (LoggedEvent event : events) {
                PartitionId partition = event.event().partition();
                if (event.event().kind() == EventKind.LEADERSHIP_MOVED) {
                    Matcher move = LEADERSHIP_MOVE.matcher(event.event().message());
                    assertThat(move.find()).as("a leadership move names both ends: %s", event.event().message()).isTrue();
                    List<NodeId> led = leaders.computeIfAbsent(partition, p -> new ArrayList<>(List.of(NodeId.parse(move.group(1)))));
                    NodeId to = NodeId.parse(move.group(2));
                    assertThat(led).as("%s: leadership given back to a member it was taken from; events: %s", partition, history).doesNotContain(to);
                    led.add(to);
                } else if (event.event().kind() == EventKind.PARTITION_MOVED && leaders.containsKey(partition)) {
                    Matcher moved = REPLICA_MOVE.matcher(event.event().message());
                    assertThat(moved.find()).as("a replica move names who left: %s", event.event().message()).isTrue();
                    NodeId lastLeader = leaders.get(partition).getLast();
                    assertThat(moved.group(1)).as("%s: the fill took out the member leadership had just been given to; events: %s", partition, history)
                            .doesNotContain(lastLeader.toString() + "]").doesNotContain(lastLeader + ",");
                }
            }
        }
    }

    @Test
    void movesOffADrainingWorkerRespectThePerNodeLimit() {
        int perNode = 2;
        try (ScenarioCluster cluster = settled(shape(4, 12, limits(perNode, SchedulerLimits.DEFAULT_DEAD_NODE_GRACE)));
                MoveHistory history = MoveHistory.record(cluster.metadata())) {
            cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false);
            cluster.await("N1 disabled", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);
            history.awaitCaughtUp();

            for (NodeId worker : history.nodesInMoves()) {
                assertThat(history.mostMovesInvolving(worker)).as("most changes under way involving %s at once", worker).isLessThanOrEqualTo(perNode);
            }
            // N1 takes part in every move, so it is the one the limit holds back; reaching it shows the limit at work.
            assertThat(history.mostMovesInvolving(N1)).as("most moves off N1 at once").isEqualTo(perNode);
            assertThat(history.mostMovesInFlight()).isLessThanOrEqualTo(SchedulerLimits.DEFAULT_MAX_CHANGES_IN_CLUSTER);
            assertEveryJoinerWasActive(cluster, history);
        }
    }

    @Test
    void cancellingADrainLeavesValidReplicaSetsAndTheWorkerActive() {
        try (ScenarioCluster cluster = settled(shape(4, 12, ControllerConfig.DEFAULTS))) {
            cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false);
            cluster.await("a move off N1 under way", SETTLE,
                    () -> placements(cluster).values().stream().anyMatch(p -> p.hasNext() && p.leaving().contains(N1)));

            Lifecycle.Outcome cancel = cluster.lifecycle().request("N1", WorkerState.ACTIVE, "changed my mind", false, false);
            assertThat(cancel).isInstanceOf(Lifecycle.Outcome.Done.class);
            cluster.await("every move finished and the controller reports none", DRAIN,
                    () -> noMoveUnderWay(cluster) && cluster.controllerStatus().map(s -> s.movesInFlight() == 0).orElse(false));

            assertThat(state(cluster, N1)).isEqualTo(WorkerState.ACTIVE);
            assertThat(placements(cluster)).hasSize(12);
            for (Placement placement : placements(cluster).values()) {
                assertThat(placement.current()).hasSize(3);
            }
            awaitGroupsMatchPlacements(cluster);
            assertThat(eventKinds(cluster)).contains(EventKind.DRAIN_CANCELLED);
            assertThat(new ControllerDocuments(cluster.metadata()).drains().get(N1)).as("N1's drain record")
                    .satisfies(record -> assertThat(record.outcome()).isEqualTo(WorkerState.ACTIVE));
        }
    }

    @Test
    void drainingTwoOfFourWorkersWithThreeReplicasIsRefusedUnlessForced() {
        try (ScenarioCluster cluster = settled(shape(4, 12, ControllerConfig.DEFAULTS))) {
            Lifecycle lifecycle = cluster.lifecycle();
            assertThat(lifecycle.request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);

            Lifecycle.Outcome second = lifecycle.request("N2", WorkerState.DRAINING, "", false, false);
            assertThat(second).isInstanceOfSatisfying(Lifecycle.Outcome.Refused.class, refused -> {
                assertThat(refused.refusal().kind()).isEqualTo(RefusalKind.GUARD_FAILED);
                assertThat(refused.refusal().blocking()).isNotEmpty()
                        .allSatisfy(b -> assertThat(b.reason()).isEqualTo("not-enough-candidates"));
                assertThat(refused.refusal().message()).contains("forcing it does it anyway");
                assertThat(refused.refusal().allowedWithForce()).contains(WorkerState.DRAINING);
            });
            assertThat(state(cluster, N2)).isEqualTo(WorkerState.ACTIVE);
            assertThat(lifecycle.request("N2", WorkerState.DRAINING, "", false, true))
                    .isInstanceOfSatisfying(Lifecycle.Outcome.DryRun.class, dryRun -> assertThat(dryRun.wouldRefuse()).isPresent());
            assertThat(state(cluster, N2)).isEqualTo(WorkerState.ACTIVE);

            assertThat(lifecycle.request("N2", WorkerState.DRAINING, "", true, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            assertThat(state(cluster, N2)).isEqualTo(WorkerState.DRAINING);
            assertThat(transitionsOf(cluster, N2)).last().satisfies(r -> {
                assertThat(r.to()).isEqualTo(WorkerState.DRAINING);
                assertThat(r.forced()).isTrue();
            });
        }
    }

    /**
     * Raft refuses a configuration whose new members are half or more of it, so a partition that loses two
     * of its three members at once can only get there through the union of both sets. Draining two workers
     * with one change per node at a time leaves partitions that hold both waiting until both drain; their
     * moves then replace two members at once, and the drains end only if those moves complete.
     */
    @Test
    void replacingTwoOfThreeMembersGoesThroughTheUnion() {
        try (ScenarioCluster cluster = settled(shape(5, 10, limits(1, SchedulerLimits.DEFAULT_DEAD_NODE_GRACE)));
                MoveHistory history = MoveHistory.record(cluster.metadata())) {
            Set<PartitionId> onBoth = new HashSet<>(partitionsNaming(cluster, N1));
            onBoth.retainAll(partitionsNaming(cluster, N2));
            assertThat(onBoth).as("partitions on both N1 and N2").hasSizeGreaterThanOrEqualTo(2);

            assertThat(cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            assertThat(cluster.lifecycle().request("N2", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            cluster.await("N1 and N2 disabled", DRAIN,
                    () -> state(cluster, N1) == WorkerState.DISABLED && state(cluster, N2) == WorkerState.DISABLED);
            cluster.await("no move under way", SETTLE, () -> noMoveUnderWay(cluster));
            history.awaitCaughtUp();

            Map<PartitionId, Placement> twoJoiners = new TreeMap<>();
            history.placements().stream().filter(p -> p.joining().size() == 2).forEach(p -> twoJoiners.put(p.partition(), p));
            assertThat(twoJoiners.keySet()).as("partitions whose move replaced two of three members at once").isNotEmpty();
            Map<PartitionId, Placement> placements = placements(cluster);
            for (Placement move : twoJoiners.values()) {
                assertThat(move.leaving()).as("%s's move", move.partition()).hasSize(2);
                assertThat(placements.get(move.partition()).current()).as("%s after its move", move.partition())
                        .containsExactlyInAnyOrderElementsOf(move.next());
            }
            assertEveryJoinerWasActive(cluster, history);
            awaitGroupsMatchPlacements(cluster);
        }
    }

    @Test
    void aDrainingAndADeadMemberOfOnePartitionAreBothReplaced() {
        try (ScenarioCluster cluster = settled(shape(6, 12, limits(SchedulerLimits.DEFAULT_MAX_CHANGES_PER_NODE, Duration.ofSeconds(5))))) {
            Optional<NodeId> controllerHost = cluster.controllerHost();
            NodeId dead = placements(cluster).values().stream().filter(p -> p.current().contains(N1)).flatMap(p -> p.current().stream())
                    .filter(n -> !n.equals(N1) && controllerHost.map(host -> !host.equals(n)).orElse(true)).findFirst().orElseThrow();
            Set<PartitionId> sharedWithDead = new HashSet<>(partitionsNaming(cluster, N1));
            sharedWithDead.retainAll(partitionsNaming(cluster, dead));

            cluster.kill(dead);
            assertThat(cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            cluster.await("N1 disabled", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);
            cluster.await("the dead worker's replicas replaced", DRAIN,
                    () -> noMoveUnderWay(cluster) && placements(cluster).values().stream().noneMatch(p -> p.names(dead)));

            Map<PartitionId, Placement> placements = placements(cluster);
            for (Placement placement : placements.values()) {
                assertThat(placement.current()).hasSize(3).doesNotContain(N1, dead);
            }
            assertThat(sharedWithDead).as("partitions that had both a draining and a dead member").isNotEmpty();
            awaitGroupsMatchPlacements(cluster);
        }
    }

    /**
     * Two kinds of worker that must not receive a replica at once: one draining, one disabled by force while
     * it still holds replicas. Every move is judged against the nodes configuration it was decided on: on
     * real nodes the controller runs between the two requests, and may rightly send a replica of the disabled
     * worker to the one still Active for a moment; that move must then be revised before it completes.
     */
    @Test
    void noReplicaEverLandsOnAWorkerThatIsNotActive() {
        try (ScenarioCluster cluster = settled(shape(5, 10, ControllerConfig.DEFAULTS));
                MoveHistory history = MoveHistory.record(cluster.metadata())) {
            assertThat(partitionsNaming(cluster, N5)).isNotEmpty();
            assertThat(cluster.lifecycle().request("N5", WorkerState.DISABLED, "bad disk", true, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            assertThat(cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Done.class);
            cluster.await("N1 disabled", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);
            cluster.await("N5 named nowhere and no move under way", DRAIN,
                    () -> noMoveUnderWay(cluster) && partitionsNaming(cluster, N5).isEmpty());
            cluster.await("N5's Raft server empty", GROUPS_CONVERGE, () -> cluster.hosting(N5).isEmpty());
            history.awaitCaughtUp();

            assertThat(history.placements().stream().filter(Placement::hasNext)).as("moves seen").isNotEmpty();
            assertEveryJoinerWasActive(cluster, history);
            assertThat(cluster.hosting(N1)).isEmpty();
            awaitGroupsMatchPlacements(cluster);
        }
    }

    @Test
    void aDrainThatCannotProgressIsReportedStalledWithTheSchedulersReason() {
        try (ScenarioCluster cluster = settled(shape(3, 6, ControllerConfig.DEFAULTS.withStallAfter(Duration.ofSeconds(5))))) {
            assertThat(cluster.lifecycle().request("N1", WorkerState.DRAINING, "", false, false)).isInstanceOf(Lifecycle.Outcome.Refused.class);
            long mark = lastEventSequence(cluster);
            assertThat(cluster.lifecycle().request("N1", WorkerState.DRAINING, "", true, false)).isInstanceOf(Lifecycle.Outcome.Done.class);

            cluster.await("every partition reported stalled for want of candidates", SETTLE, () -> cluster.controllerStatus().flatMap(s -> s.drain(N1))
                    .map(d -> d.stalledPartitions().stream().filter(s -> s.reason() == StallReason.NOT_ENOUGH_CANDIDATES).count() == 6)
                    .orElse(false));
            DrainProgress progress = cluster.controllerStatus().flatMap(s -> s.drain(N1)).orElseThrow();
            assertThat(progress.stalled()).isTrue();
            assertThat(progress.stalledPartitions()).hasSize(6).allSatisfy(s -> {
                assertThat(s.reason()).isEqualTo(StallReason.NOT_ENOUGH_CANDIDATES);
                assertThat(s.message()).isNotBlank();
            });
            assertThat(progress.replicasRemaining()).isEqualTo(6);
            assertThat(state(cluster, N1)).isEqualTo(WorkerState.DRAINING);
            assertThat(eventsAfter(cluster, mark).stream().filter(e -> e.event().kind() == EventKind.DRAIN_STALLED)).hasSize(1);

            // A new worker gives every partition a target: the drain goes on by itself.
            NodeId added = cluster.addWorker();
            cluster.await("N1 disabled once a new worker joined", DRAIN, () -> state(cluster, N1) == WorkerState.DISABLED);
            for (Placement placement : placements(cluster).values()) {
                assertThat(placement.current()).containsExactlyInAnyOrder(N2, NodeId.of(3), added);
            }
            awaitGroupsMatchPlacements(cluster);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading the cluster

    /** Starts a cluster and waits until it is at rest: every partition placed, replicas balanced, leaders recorded, groups as placed. */
    /**
     * The temporary path: a worker in maintenance sheds its leaderships, is then away for several dead-node
     * grace periods without any replica of it replaced, and once back with a new generation and caught up its
     * maintenance ends by itself and leaderships return — not one replica moved.
     */
    @Test
    void aWorkerInMaintenanceIsAwayLongerThanTheGracePeriodAndComesBackWithoutAMove() {
        Duration grace = Duration.ofSeconds(5);
        try (ScenarioCluster cluster = settled(shape(4, 12, limits(SchedulerLimits.DEFAULT_MAX_CHANGES_PER_NODE, grace)))) {
            NodeId away = awayCandidate(cluster);
            Map<PartitionId, List<NodeId>> setsBefore = replicaSets(cluster);
            long mark = lastEventSequence(cluster);

            MaintenanceRequests.Outcome outcome = cluster.maintenance().begin(away.toString(), "kernel patch", Duration.ofMinutes(10), false, false);
            assertThat(outcome).isInstanceOf(MaintenanceRequests.Outcome.Done.class);
            cluster.await(away + " leads nothing", SETTLE, () -> cluster.hosting(away).values().stream().noneMatch(HostedReplica::leads)
                    && placements(cluster).values().stream().noneMatch(p -> away.equals(p.leader())));

            cluster.kill(away);
            java.time.Instant killedAt = cluster.clock().instant();
            cluster.await("three grace periods pass with " + away + " away", SETTLE,
                    () -> cluster.clock().instant().isAfter(killedAt.plus(grace.multipliedBy(3))));
            assertThat(replicaSets(cluster)).as("replica sets while " + away + " is away in maintenance").isEqualTo(setsBefore);

            cluster.restart(away);
            cluster.await(away + "'s maintenance ends by itself", SETTLE, () -> {
                NodeConfig node = cluster.metadata().nodes().current().find(away).orElseThrow();
                return node.maintenance().end() != null;
            });
            assertThat(cluster.metadata().nodes().current().find(away).orElseThrow().maintenance().end().cause())
                    .isEqualTo(dev.sluice.model.Maintenance.EndCause.CAUGHT_UP);
            cluster.await(away + " leads again", SETTLE, () -> cluster.hosting(away).values().stream().anyMatch(HostedReplica::leads));

            assertThat(replicaSets(cluster)).as("replica sets after the maintenance").isEqualTo(setsBefore);
            List<EventKind> kinds = eventsAfter(cluster, mark).stream().map(e -> e.event().kind()).toList();
            assertThat(kinds).doesNotContain(EventKind.PARTITION_MOVE_STARTED, EventKind.PARTITION_MOVED)
                    .containsSubsequence(EventKind.MAINTENANCE_STARTED, EventKind.MAINTENANCE_ENDED);
            awaitGroupsMatchPlacements(cluster);
        }
    }

    /** A maintenance that runs out with its worker still away says so, and only then does the dead-node grace period start. */
    @Test
    void aMaintenanceThatRunsOutWithTheWorkerAwayStartsTheGracePeriod() {
        Duration grace = Duration.ofSeconds(5);
        try (ScenarioCluster cluster = settled(shape(4, 12, limits(SchedulerLimits.DEFAULT_MAX_CHANGES_PER_NODE, grace)))) {
            NodeId away = awayCandidate(cluster);
            Set<PartitionId> held = partitionsNaming(cluster, away);
            long mark = lastEventSequence(cluster);
            assertThat(cluster.maintenance().begin(away.toString(), "", Duration.ofSeconds(15), false, false))
                    .isInstanceOf(MaintenanceRequests.Outcome.Done.class);
            java.time.Instant until = cluster.metadata().nodes().current().find(away).orElseThrow().maintenance().until();

            cluster.kill(away);
            cluster.await("the maintenance's expiry logged", SETTLE,
                    () -> eventsAfter(cluster, mark).stream().anyMatch(e -> e.event().kind() == EventKind.MAINTENANCE_EXPIRED));
            cluster.await(away + "'s replicas replaced", DRAIN, () -> noMoveUnderWay(cluster) && partitionsNaming(cluster, away).isEmpty());

            List<LoggedEvent> events = eventsAfter(cluster, mark);
            LoggedEvent expired = events.stream().filter(e -> e.event().kind() == EventKind.MAINTENANCE_EXPIRED).findFirst().orElseThrow();
            assertThat(expired.event().message()).contains("the node is still away: its replicas are replaced after the dead-node grace period of 5 s");
            List<java.time.Instant> moveStarts = events.stream().filter(e -> e.event().kind() == EventKind.PARTITION_MOVE_STARTED)
                    .map(e -> e.event().at()).toList();
            assertThat(moveStarts).as("replacements of %s's %d replicas", away, held.size()).isNotEmpty()
                    .allSatisfy(at -> assertThat(at).isAfterOrEqualTo(until.plus(grace)));
        }
    }

    /**
     * A rolling restart of every worker: each is restarted exactly once (one generation more), one at a time,
     * with no replica moved. On real nodes the controller runs on the workers, so restarting its host makes it
     * fail over mid-rollout; the new leader resumes the rollout from the stored document without repeating a step.
     */
    @Test
    void aRollingRestartOfEveryWorkerMovesNoReplicaAndRestartsEachOnce() {
        try (ScenarioCluster cluster = settled(shape(4, 12, ControllerConfig.DEFAULTS))) {
            Map<PartitionId, List<NodeId>> setsBefore = replicaSets(cluster);
            Map<NodeId, Integer> generations = new HashMap<>();
            cluster.metadata().nodes().current().workers().forEach(node -> generations.put(node.nodeId(), node.id().generation()));
            long mark = lastEventSequence(cluster);
            RolloutRequests requests = new RolloutRequests(cluster.metadata(), cluster.lifecycle(), cluster.clock());

            assertThat(requests.start(new RolloutRequests.Selection(List.of(), null), Duration.ofMinutes(2), "scenario", false))
                    .isInstanceOf(RolloutRequests.Outcome.Done.class);
            cluster.await("the rolling restart ends", ROLLOUT, () -> requests.current().map(r -> r.state().ended()).orElse(false));

            Rollout rollout = requests.current().orElseThrow();
            assertThat(rollout.state()).as(rollout.stoppedBecause()).isEqualTo(Rollout.State.COMPLETED);
            for (NodeConfig node : cluster.metadata().nodes().current().workers()) {
                assertThat(node.id().generation()).as("%s restarted exactly once", node.nodeId()).isEqualTo(generations.get(node.nodeId()) + 1);
                assertThat(node.inMaintenanceAt(cluster.clock().instant())).as("%s in maintenance", node.nodeId()).isFalse();
            }
            for (int i = 1; i < rollout.steps().size(); i++) {
                assertThat(rollout.steps().get(i).startedAt()).as("one worker at a time").isAfterOrEqualTo(rollout.steps().get(i - 1).doneAt());
            }
            assertThat(replicaSets(cluster)).isEqualTo(setsBefore);
            List<EventKind> kinds = eventsAfter(cluster, mark).stream().map(e -> e.event().kind()).toList();
            assertThat(kinds).doesNotContain(EventKind.PARTITION_MOVE_STARTED, EventKind.PARTITION_MOVED);
            assertThat(kinds.stream().filter(EventKind.ROLLOUT_NODE_RESTARTED::equals)).hasSize(4);
            awaitGroupsMatchPlacements(cluster);
        }
    }

    /** A worker to send away that does not run the controller, so the fault is the same on both planes. */
    private static NodeId awayCandidate(ScenarioCluster cluster) {
        Optional<NodeId> controllerHost = cluster.controllerHost();
        return workers(cluster).stream().filter(n -> controllerHost.map(host -> !host.equals(n)).orElse(true)).findFirst().orElseThrow();
    }

    private static Map<PartitionId, List<NodeId>> replicaSets(ScenarioCluster cluster) {
        Map<PartitionId, List<NodeId>> sets = new TreeMap<>();
        placements(cluster).forEach((partition, placement) -> sets.put(partition, placement.hasNext()
                ? List.of() : placement.current().stream().sorted().toList()));
        return sets;
    }

    private ScenarioCluster settled(Shape shape) {
        ScenarioCluster cluster = start(shape);
        try {
            cluster.await("every partition placed, balanced and led where its placement says", SETTLE,
                    () -> balanced(cluster, shape) && leadersRecorded(cluster));
            awaitGroupsMatchPlacements(cluster);
            return cluster;
        } catch (RuntimeException | Error failed) {
            cluster.close();
            throw failed;
        }
    }

    private static boolean balanced(ScenarioCluster cluster, Shape shape) {
        Map<PartitionId, Placement> placements = placements(cluster);
        if (placements.size() != shape.partitions() || !noMoveUnderWay(cluster)) {
            return false;
        }
        Map<NodeId, Integer> perWorker = new HashMap<>();
        placements.values().forEach(p -> p.current().forEach(n -> perWorker.merge(n, 1, Integer::sum)));
        int replicas = shape.partitions() * shape.replicas();
        int fewest = replicas / shape.workers();
        int most = (replicas + shape.workers() - 1) / shape.workers();
        return workers(cluster).size() == shape.workers()
                && workers(cluster).stream().allMatch(n -> perWorker.getOrDefault(n, 0) >= fewest && perWorker.getOrDefault(n, 0) <= most);
    }

    /** Every placement records as leader the member whose Raft server leads the group. */
    private static boolean leadersRecorded(ScenarioCluster cluster) {
        return placements(cluster).values().stream().allMatch(p -> p.leader() != null
                && Optional.ofNullable(cluster.hosting(p.leader()).get(p.partition())).map(HostedReplica::leads).orElse(false));
    }

    /**
     * Waits until every partition's Raft group is exactly its placement: each member of the current set hosts
     * it and knows the current set as the configuration, one of them leads, and no other worker hosts it.
     */
    protected static void awaitGroupsMatchPlacements(ScenarioCluster cluster) {
        AtomicReference<List<String>> mismatches = new AtomicReference<>(List.of());
        try {
            cluster.await("every Raft group's configuration equals its placement", GROUPS_CONVERGE, () -> {
                mismatches.set(groupMismatches(cluster));
                return mismatches.get().isEmpty();
            });
        } catch (AssertionError timedOut) {
            throw new AssertionError("on the " + cluster.plane() + " plane, groups differ from placements: " + mismatches.get(), timedOut);
        }
    }

    private static List<String> groupMismatches(ScenarioCluster cluster) {
        Map<NodeId, Map<PartitionId, HostedReplica>> hosting = new TreeMap<>();
        workers(cluster).forEach(worker -> hosting.put(worker, cluster.hosting(worker)));
        List<String> mismatches = new ArrayList<>();
        for (Placement placement : placements(cluster).values()) {
            PartitionId partition = placement.partition();
            Set<NodeId> wanted = Set.copyOf(placement.current());
            if (placement.hasNext()) {
                mismatches.add(partition + " is still moving: " + placement);
                continue;
            }
            boolean led = false;
            for (var entry : hosting.entrySet()) {
                HostedReplica replica = entry.getValue().get(partition);
                if (!wanted.contains(entry.getKey())) {
                    if (replica != null) {
                        mismatches.add(entry.getKey() + " hosts " + partition + " outside " + wanted);
                    }
                } else if (replica == null) {
                    mismatches.add(entry.getKey() + " does not host " + partition);
                } else {
                    led |= replica.leads();
                    if (!Set.copyOf(replica.configuration()).equals(wanted)) {
                        mismatches.add(entry.getKey() + " knows " + partition + " as " + replica.configuration() + ", placed on " + wanted);
                    }
                }
            }
            if (!led) {
                mismatches.add("no member of " + wanted + " leads " + partition);
            }
        }
        return mismatches;
    }

    protected static Map<PartitionId, Placement> placements(ScenarioCluster cluster) {
        Map<PartitionId, Placement> placements = new TreeMap<>();
        cluster.metadata().placements().readAll().forEach((partition, versioned) -> placements.put(partition, versioned.placement()));
        return placements;
    }

    private static boolean noMoveUnderWay(ScenarioCluster cluster) {
        return placements(cluster).values().stream().noneMatch(Placement::hasNext);
    }

    private static Set<PartitionId> partitionsNaming(ScenarioCluster cluster, NodeId worker) {
        Set<PartitionId> named = new HashSet<>();
        placements(cluster).values().stream().filter(p -> p.names(worker)).forEach(p -> named.add(p.partition()));
        return named;
    }

    private static List<NodeId> workers(ScenarioCluster cluster) {
        return cluster.metadata().nodes().current().workers().stream().map(NodeConfig::nodeId).toList();
    }

    protected static WorkerState state(ScenarioCluster cluster, NodeId worker) {
        return cluster.metadata().nodes().current().find(worker).orElseThrow().workerState();
    }

    /** The drain of {@code worker} as the controller published it, once it shows {@code state}. */
    private static DrainProgress publishedDrain(ScenarioCluster cluster, NodeId worker, WorkerState state) {
        cluster.await("the published drain of " + worker + " shows " + state, STATUS_PUBLISHED,
                () -> cluster.controllerStatus().flatMap(s -> s.drain(worker)).map(d -> d.state() == state).orElse(false));
        return cluster.controllerStatus().flatMap(s -> s.drain(worker)).orElseThrow();
    }

    /** Every worker a move added was Active in the nodes configuration the move was decided on. */
    private static void assertEveryJoinerWasActive(ScenarioCluster cluster, MoveHistory history) {
        List<AuditRecord> audit = cluster.metadata().audit().read(-1, AuditLog.MAX_READ);
        for (Placement move : history.placements()) {
            for (NodeId joiner : move.joining()) {
                assertThat(stateAt(audit, joiner, move.basedOnNodesVersion())).as("%s's state when %s was decided", joiner, move)
                        .isEqualTo(WorkerState.ACTIVE);
            }
        }
    }

    /** A worker's state in the nodes configuration of {@code version}, replayed from the audit log; a registered worker starts provisioning. */
    private static WorkerState stateAt(List<AuditRecord> audit, NodeId worker, Version version) {
        WorkerState state = WorkerState.PROVISIONING;
        for (AuditRecord record : audit) {
            if (record.node().id().equals(worker) && version.isAtLeast(record.version())) {
                state = record.to();
            }
        }
        return state;
    }

    private static List<AuditRecord> transitionsOf(ScenarioCluster cluster, NodeId worker) {
        return cluster.metadata().audit().read(-1, AuditLog.MAX_READ).stream().filter(r -> r.node().id().equals(worker)).toList();
    }

    /** Reads are capped at {@link EventLog#MAX_READ}; a scenario writes a few hundred events at most. */
    private static List<LoggedEvent> eventsAfter(ScenarioCluster cluster, long sequence) {
        List<LoggedEvent> events = new ArrayList<>();
        for (int page = 0; page < 100; page++) {
            List<LoggedEvent> read = cluster.metadata().events().read(events.isEmpty() ? sequence : events.getLast().sequence(), EventLog.MAX_READ);
            events.addAll(read);
            if (read.size() < EventLog.MAX_READ) {
                return events;
            }
        }
        throw new IllegalStateException("BUG: more than 100 pages of events in one scenario");
    }

    private static long lastEventSequence(ScenarioCluster cluster) {
        List<LoggedEvent> latest = cluster.metadata().events().latest(1);
        return latest.isEmpty() ? -1 : latest.getLast().sequence();
    }

    private static List<EventKind> eventKinds(ScenarioCluster cluster) {
        return eventsAfter(cluster, -1).stream().map(e -> e.event().kind()).toList();
    }
}
