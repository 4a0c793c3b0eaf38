package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.Fence;
import dev.sluice.metadata.Op;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The control loop against simulated Raft groups, pass by pass, with a hand-moved clock: what only the
 * simulation can show (exact counts, a fenced-out old leader, a leader stuck by an injected fault). The
 * lifecycle scenarios that mean the same on real nodes are in {@link dev.sluice.controller.scenarios.LifecycleScenarios},
 * run here by {@link SimulatedLifecycleScenariosTest}.
 */
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

    /**
     * A process registers and announces its liveness in two writes; a first pass between them once placed a
     * whole multi-host cluster on the workers it saw alive, and the cluster then spent minutes moving replicas.
     */
    @Test
    void firstPlacementsWaitForAWorkerThatRegisteredButIsNotLiveYet() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            NodeId late = cluster.registerWithoutLiveness("worker-5", dev.sluice.model.Location.parse("local.zone-1"));
            int waited = 20;
            for (int pass = 0; pass < waited; pass++) {
                cluster.step();
            }
            assertThat(cluster.placements()).as("nothing placed while worker-5 is registered but not live").isEmpty();

            cluster.announceAndActivate(late);
            cluster.runUntil(cluster::settled, 100, "initial placement");
            assertThat(cluster.replicasOn(late)).as("worker-5 got its share in the first placement").isBetween(14L, 15L);
            assertThat(cluster.events(EventKind.PARTITION_MOVE_STARTED)).as("no replica moved after the first placement").isEmpty();
        }
    }

    /** The wait is bounded: a registered worker that never comes up holds the first placement back for the settle time only. */
    @Test
    void aRegisteredWorkerThatNeverComesUpHoldsFirstPlacementsBackForTheSettleTimeOnly() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            NodeId neverUp = cluster.registerWithoutLiveness("worker-5", dev.sluice.model.Location.parse("local.zone-1"));
            long settleSteps = ControlLoop.INITIAL_PLACEMENT_SETTLE.dividedBy(ControllerHarness.STEP);
            for (int pass = 0; pass < settleSteps - 5; pass++) {
                cluster.step();
            }
            assertThat(cluster.placements()).isEmpty();
            cluster.runUntil(cluster::settled, 100, "initial placement after the settle time");
            assertThat(cluster.replicasOn(neverUp)).isZero();
            assertThat(cluster.placements()).hasSize(24);
        }
    }

    /**
     * A drain starts by moving every leadership off the worker, and those transfers succeed in the same pass.
     * Their events once took a store commit each, on the controller's thread, before the pass could go on.
     */
    @Test
    void theEventsOfOnePassGoToTheStoreInOneCommit() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), 50, "leaders known");
            List<List<Op>> commits = new ArrayList<>();
            cluster.interfereBeforeCommits(ops -> commits.add(List.copyOf(ops)));
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            int mostEventOnlyCommits = 0;
            int mostEventsInOnePass = 0;
            for (int pass = 0; pass < 200 && cluster.state(N1) != WorkerState.DISABLED; pass++) {
                commits.clear();
                cluster.step();
                int eventOnly = 0;
                int events = 0;
                for (List<Op> ops : commits) {
                    long appends = ops.stream().filter(op -> op instanceof Op.Append).count();
                    events += (int) appends;
                    if (appends > 0 && ops.stream().allMatch(op -> op instanceof Op.Append || op instanceof Op.Check)) {
                        eventOnly++;
                    }
                }
                mostEventOnlyCommits = Math.max(mostEventOnlyCommits, eventOnly);
                mostEventsInOnePass = Math.max(mostEventsInOnePass, events);
            }
            cluster.interfereBeforeCommits(null);
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DISABLED);
            assertThat(cluster.events(EventKind.LEADERSHIP_MOVED)).hasSizeGreaterThanOrEqualTo(2);
            assertThat(mostEventsInOnePass).as("some pass logged several events").isGreaterThan(2);
            assertThat(mostEventOnlyCommits).as("commits of nothing but events in one pass").isLessThanOrEqualTo(1);
        }
    }

    /** A simulation's event log is stamped by its own clock, so a seed's run logs the same times every time. */
    @Test
    void theEventLogIsStampedByTheSimulationsClock() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            java.time.Instant started = cluster.clock.instant();
            cluster.runUntil(cluster::settled, 50, "initial placement");
            assertThat(cluster.eventKinds()).isNotEmpty();
            assertThat(cluster.metadata.events().read(-1, 1000)).allSatisfy(event ->
                    assertThat(event.loggedAt()).isBetween(started, cluster.clock.instant()));
        }
    }

    /**
     * With one change per worker, each completed move of a drain makes room for the next; the completion
     * and the start it makes room for go to the store in one commit, not one after the other.
     */
    @Test
    void aCompletedMoveAndTheMoveItMakesRoomForAreWrittenInOneCommit() {
        ControllerConfig oneAtATime = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(1, 16, Duration.ofSeconds(10), 16));
        try (ControllerHarness cluster = new ControllerHarness(4, 24, ReplicationProperty.of(3), oneAtATime, 1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            List<List<String>> commitEvents = new ArrayList<>();
            cluster.interfereBeforeCommits(ops -> commitEvents.add(ops.stream()
                    .filter(op -> op instanceof Op.Append)
                    .map(op -> new String(((Op.Append) op).value(), StandardCharsets.UTF_8))
                    .toList()));
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.state(N1) == WorkerState.DISABLED, 2_000, "N1 disabled");
            cluster.interfereBeforeCommits(null);
            long together = commitEvents.stream().filter(events -> events.stream().anyMatch(e -> e.contains("partition-moved"))
                    && events.stream().anyMatch(e -> e.contains("partition-move-started"))).count();
            long completions = commitEvents.stream().filter(events -> events.stream().anyMatch(e -> e.contains("partition-moved"))).count();
            assertThat(completions).as("commits with a completion").isPositive();
            assertThat(together).as("commits with a completion and the start it made room for").isPositive();
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

    /**
     * A move's joiner and leader are polled every pass, so its steps follow each other; its other members once a poll
     * interval, like any worker (polling every member of every move made a drain of 100 workers at 10,000 × 1,000,000
     * poll about 4,000 workers a pass).
     */
    @Test
    void aMovesJoinerAndLeaderArePolledEveryPassItsOtherMembersOnceAPollInterval() {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(1, 1, Duration.ofSeconds(10), 16));
        // Calls take 30 passes, so the one move stays under way, with the same leader, while it is watched.
        try (ControllerHarness cluster = new ControllerHarness(5, 6, ReplicationProperty.of(3), config, 30)) {
            cluster.runUntil(cluster::settled, 400, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            cluster.runUntil(() -> cluster.placements().values().stream().anyMatch(p -> p.hasNext() && !p.joining().isEmpty()
                    && cluster.dataPlane.group(p.partition()).leader != null), 100, "a move under way");
            Placement moving = cluster.placements().values().stream().filter(Placement::hasNext).findFirst().orElseThrow();
            NodeId joiner = moving.joining().getFirst();
            NodeId leader = cluster.dataPlane.group(moving.partition()).leader;
            NodeId other = moving.current().stream().filter(n -> !n.equals(N1) && !n.equals(leader)).findFirst().orElseThrow();
            Map<NodeId, Integer> before = new java.util.HashMap<>(cluster.dataPlane.pollsOf);
            int passes = passesAPollInterval(config) * 2;
            for (int i = 0; i < passes; i++) {
                cluster.step();
                assertThat(cluster.placements().get(moving.partition()).next()).as("still the same move").isEqualTo(moving.next());
                assertThat(cluster.dataPlane.group(moving.partition()).leader).as("still the same leader").isEqualTo(leader);
            }
            java.util.function.Function<NodeId, Integer> polls = node -> cluster.dataPlane.pollsOf.getOrDefault(node, 0) - before.getOrDefault(node, 0);
            assertThat(polls.apply(joiner)).as("the joiner %s", joiner).isEqualTo(passes);
            assertThat(polls.apply(leader)).as("the leader %s", leader).isEqualTo(passes);
            assertThat(polls.apply(N1)).as("the draining worker").isEqualTo(passes);
            assertThat(polls.apply(other)).as("a member that neither joins nor leads, %s", other).isBetween(1, 3);
        }
    }

    /**
     * A worker no move involves is asked once a poll interval at a phase of its own, so workers started together are not
     * all asked in the same pass ever after: at 10,000 workers that pass took every answer, and was a drain's slowest.
     */
    @Test
    void workersStartedTogetherAreAskedSpreadOverThePollInterval() {
        int workers = 40;
        try (ControllerHarness cluster = new ControllerHarness(workers, 40, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 2)) {
            cluster.runUntil(cluster::settled, 100, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream().noneMatch(Placement::hasNext), 200, "nothing moving");
            int passesAnInterval = passesAPollInterval(ControllerConfig.DEFAULTS);
            int intervals = 3;
            long asked = 0;
            long mostInAPass = 0;
            for (int i = 0; i < passesAnInterval * intervals; i++) {
                cluster.step();
                asked += cluster.lastPassStatusPolls;
                mostInAPass = Math.max(mostInAPass, cluster.lastPassStatusPolls);
            }
            assertThat(asked).as("each worker about once an interval").isBetween((long) workers * (intervals - 1), (long) workers * (intervals + 1));
            assertThat(mostInAPass).as("the most workers asked in one pass, of %d asked every %d passes", workers, passesAnInterval)
                    .isLessThanOrEqualTo(workers / 4);
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
    void theReplicaAndLeaderGaugesCountWhatThePlacementsAndLeadersSayWhileADrainMovesReplicas() {
        try (ControllerHarness cluster = new ControllerHarness(6, 40, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 2)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            lifecycle(cluster).request("N1", WorkerState.DRAINING, "", false, false);
            boolean sawAMove = false;
            for (int step = 0; step < 200 && cluster.state(N1) != WorkerState.DISABLED; step++) {
                cluster.step();
                sawAMove |= cluster.placements().values().stream().anyMatch(Placement::hasNext);
                for (NodeId node : cluster.names.keySet()) {
                    assertThat(gauge(cluster, "sluice.worker.replicas", node)).as("replicas of %s at step %d", node, step)
                            .isEqualTo(cluster.replicasOn(node));
                    // The recorded leader follows the observed one a pass later, so compare with the groups the pass saw.
                    assertThat(gauge(cluster, "sluice.worker.leaders", node)).as("leaderships of %s at step %d", node, step)
                            .isLessThanOrEqualTo(cluster.placements().size());
                }
            }
            assertThat(sawAMove).isTrue();
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DISABLED);
            cluster.runUntil(() -> cluster.placements().values().stream()
                    .allMatch(p -> p.leader() != null && p.leader().equals(cluster.dataPlane.group(p.partition()).leader)), 100, "leaders recorded");
            cluster.step();
            for (NodeId node : cluster.names.keySet()) {
                long leads = cluster.placements().values().stream().filter(p -> node.equals(p.leader())).count();
                assertThat(gauge(cluster, "sluice.worker.leaders", node)).as("leaderships of %s", node).isEqualTo(leads);
            }
        }
    }

    /** The harness's passes in one poll interval of {@code config}. */
    private static int passesAPollInterval(ControllerConfig config) {
        return (int) (config.statusPollInterval().toMillis() / ControllerHarness.STEP.toMillis());
    }

    /** The index of the first of {@code events} that starts with {@code prefix} and contains {@code part}, or -1. */
    private static int indexOf(List<String> events, String prefix, String part) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).startsWith(prefix) && events.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    private static long gauge(ControllerHarness cluster, String name, NodeId node) {
        return Math.round(cluster.meters.get(name).tag("node", node.toString()).gauge().value());
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
            // The stuck leader was moved away, and only then did the move complete (balancing may bring the leadership
            // back afterwards: the group refuses changes under that leader, and none is left to make).
            List<String> victimEvents = cluster.metadata.events().read(-1, dev.sluice.metadata.EventLog.MAX_READ).stream()
                    .filter(e -> victim.partition().equals(e.event().partition()))
                    .map(e -> e.event().kind() + ": " + e.event().message()).toList();
            int replaced = indexOf(victimEvents, EventKind.LEADERSHIP_MOVED + ": " + victim.partition() + " leadership " + stuck + " → ",
                    "keeps failing");
            int moved = indexOf(victimEvents, EventKind.PARTITION_MOVED + ": ", "");
            assertThat(replaced).as("the stuck leader replaced, in %s", victimEvents).isNotNegative();
            assertThat(moved).as("the move completed after that, in %s", victimEvents).isGreaterThan(replaced);
        }
    }


    /**
     * A new controller leader has heard from no worker yet: that is not evidence that they are dead. Once, every
     * failover moved leaderships off healthy workers with cause {@code leader-dead} (seen in a rolling restart,
     * which fails the controller over each time it restarts its host), and balancing moved them back.
     */
    @Test
    void aNewControllerLeaderDoesNotTakeWorkersItHasNotHeardFromYetForDead() {
        try (ControllerHarness cluster = fourWorkers(1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), 50, "leaders known");
            for (int i = 0; i < 30; i++) {
                cluster.step();
            }
            long before = cluster.events(EventKind.LEADERSHIP_MOVED).size();
            // N2 answers its status a few passes late, as a loaded worker does; the others at once.
            cluster.dataPlane.slowStatus.put(N2, 5);

            cluster.loop = cluster.newLoop("controller-b");
            for (int i = 0; i < 50; i++) {
                cluster.step();
            }

            assertThat(cluster.events(EventKind.LEADERSHIP_MOVED).stream().skip(before).map(e -> e.event().message()))
                    .noneMatch(message -> message.contains("leader-dead"));
        }
    }
}
