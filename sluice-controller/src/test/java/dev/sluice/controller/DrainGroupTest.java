package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.AuditRecord;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Group drains against simulated Raft groups, pass by pass: one write makes the set draining (or nothing), the
 * controller moves it as one operation with one progress object, a cancel brings every member back in one write,
 * a deadline is reported at risk and overdue (and changes nothing else), and a new controller leader resumes it.
 */
class DrainGroupTest {

    /** Six workers in three zones (two each), 24 partitions × 3 over 2 zones, settled. */
    private static ControllerHarness settledSix() {
        ControllerHarness cluster = new ControllerHarness(6, 24, new ReplicationProperty(3, 2), ControllerConfig.DEFAULTS, 1, "zone-a", "zone-b", "zone-c");
        cluster.runUntil(cluster::settled, 200, "initial placement");
        cluster.runUntil(() -> cluster.placements().values().stream().allMatch(p -> p.leader() != null), 100, "leaders known");
        for (int i = 0; i < 30; i++) {
            cluster.step();
        }
        return cluster;
    }

    private static DrainGroupRequests requests(ControllerHarness cluster) {
        return new DrainGroupRequests(cluster.metadata, new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock), cluster.clock);
    }

    private static DrainGroup group(ControllerHarness cluster, String id) {
        return new ControllerDocuments(cluster.metadata).drainGroup(id).orElseThrow().group();
    }

    private static Optional<DrainGroupProgress> progress(ControllerHarness cluster, String id) {
        return cluster.loop.lastStatus().drainGroup(id);
    }

    private static int steps(Duration duration) {
        return Math.toIntExact(duration.toMillis() / ControllerHarness.STEP.toMillis());
    }

    @Test
    void aZoneDrainsAsOneOperationWithOneWriteOneProgressAndExactlyItsReplicasMoved() {
        try (ControllerHarness cluster = settledSix()) {
            NodeId a1 = NodeId.of(1);
            NodeId a2 = NodeId.of(4);
            long held = cluster.replicasOn(a1) + cluster.replicasOn(a2);
            Version before = cluster.metadata.nodes().current().version();
            long mark = cluster.metadata.events().latest(1).getLast().sequence();
            java.util.Map<dev.sluice.model.PartitionId, Placement> placedBefore = cluster.placements();

            DrainGroupRequests.Outcome outcome = requests(cluster).start(new DrainGroupRequests.Selection(List.of(), "local.zone-a"), null,
                    "zone retired", false, false, Optional.empty());

            assertThat(outcome).isInstanceOf(DrainGroupRequests.Outcome.Started.class);
            DrainGroup started = ((DrainGroupRequests.Outcome.Started) outcome).group();
            assertThat(started.nodes()).containsExactly(a1, a2);
            // One compare-and-set: both members draining in the one next version, with one audit record each.
            assertThat(cluster.metadata.nodes().current().version()).isEqualTo(before.next());
            assertThat(cluster.node(a1).lastStateChange().version()).isEqualTo(before.next());
            assertThat(cluster.node(a2).lastStateChange().version()).isEqualTo(before.next());
            assertThat(started.drainVersion()).isEqualTo(before.next());
            List<AuditRecord> audit = cluster.metadata.events().read(mark, dev.sluice.metadata.EventLog.MAX_READ).stream()
                    .map(e -> e.event().transition()).filter(r -> r != null).toList();
            assertThat(audit).extracting(r -> r.node().id()).containsExactly(a1, a2);

            cluster.runUntil(() -> progress(cluster, started.id()).isPresent(), 20, "the controller picks the group up");
            DrainGroupProgress first = progress(cluster, started.id()).orElseThrow();
            assertThat(first.replicasAtStart()).isEqualTo((int) held);
            assertThat(first.memberStates()).hasSize(2);
            cluster.runUntil(() -> group(cluster, started.id()).state() == DrainGroup.State.COMPLETED, steps(Duration.ofMinutes(5)), "the group completes");

            assertThat(cluster.state(a1)).isEqualTo(WorkerState.DISABLED);
            assertThat(cluster.state(a2)).isEqualTo(WorkerState.DISABLED);
            DrainGroupProgress last = progress(cluster, started.id()).orElseThrow();
            assertThat(last.state()).isEqualTo(DrainGroup.State.COMPLETED);
            assertThat(last.movesDone()).isEqualTo((int) held);
            assertThat(last.replicasRemaining()).isZero();
            assertThat(last.etaSeconds()).isZero();
            // Minimal: every other member of every partition stayed where it was, so exactly the zone's replicas moved.
            for (Placement placement : cluster.placements().values()) {
                assertThat(placement.current()).doesNotContain(a1, a2);
                List<NodeId> stayed = placedBefore.get(placement.partition()).current().stream().filter(n -> !n.equals(a1) && !n.equals(a2)).toList();
                assertThat(placement.current()).as("%s", placement.partition()).containsAll(stayed).hasSize(3);
            }
            assertThat(cluster.events(EventKind.DRAIN_GROUP_STARTED)).hasSize(1);
            assertThat(cluster.events(EventKind.DRAIN_GROUP_COMPLETED)).singleElement()
                    .satisfies(e -> assertThat(e.event().message()).contains("drain " + started.id() + " of 2 worker(s) completed in", held + " replicas moved",
                            "every worker disabled"));
        }
    }

    /** The waves follow the throttles in force when the plan is made (the operator's runtime settings), not the flags'. */
    @Test
    void thePlansWavesFollowTheThrottlesInForce() {
        try (ControllerHarness cluster = settledSix()) {
            Lifecycle lifecycle = new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock);
            DrainGroupRequests.Selection zone = new DrainGroupRequests.Selection(List.of(), "local.zone-a");
            java.util.concurrent.atomic.AtomicReference<dev.sluice.scheduler.SchedulerLimits> inForce =
                    new java.util.concurrent.atomic.AtomicReference<>(cluster.config.limits());
            DrainGroupRequests requests = new DrainGroupRequests(cluster.metadata, lifecycle, inForce::get, cluster.clock);

            DrainGroupRequests.Plan flags = ((DrainGroupRequests.Outcome.Planned) requests.start(zone, null, "", false, true, Optional.empty())).plan();
            inForce.set(cluster.config.limits().withMaxChangesPerNode(1).withMaxChangesInCluster(1));
            DrainGroupRequests.Plan oneAtATime = ((DrainGroupRequests.Outcome.Planned) requests.start(zone, null, "", false, true, Optional.empty())).plan();

            assertThat(oneAtATime.limits().maxChangesInCluster()).isEqualTo(1);
            long moves = flags.waves().listed().stream().mapToLong(w -> w.moves().size()).sum();
            assertThat(oneAtATime.waves().listed().stream().mapToLong(w -> w.moves().size()).sum()).isEqualTo(moves);
            // One change at a time in the cluster: one partition's move per wave.
            assertThat(oneAtATime.waves().count()).isEqualTo(oneAtATime.waves().listed().size());
            assertThat(oneAtATime.waves().listed()).hasSizeGreaterThan(flags.waves().listed().size())
                    .allSatisfy(w -> assertThat(w.moves().stream().map(m -> m.partition()).distinct()).hasSize(1));
        }
    }

    @Test
    void theSetsPreCheckRefusesWhatEachAloneWouldAllowAndWritesNothing() {
        try (ControllerHarness cluster = settledSix()) {
            Version before = cluster.metadata.nodes().current().version();
            DrainGroupRequests requests = requests(cluster);

            // Three replicas in two zones: any one worker may go, but without zone-a and zone-b only N3 and N6 are left.
            List<String> set = List.of("worker-1", "worker-4", "worker-2", "worker-5");
            DrainGroupRequests.Outcome plan = requests.start(new DrainGroupRequests.Selection(set, null), null, "", false, true, Optional.empty());
            DrainGroupRequests.Outcome refused = requests.start(new DrainGroupRequests.Selection(set, null), null, "", false, false, Optional.empty());

            DrainGroupRequests.Plan planned = ((DrainGroupRequests.Outcome.Planned) plan).plan();
            assertThat(planned.allowed()).isFalse();
            assertThat(planned.members()).allSatisfy(member -> assertThat(member.blockingAlone()).isEmpty());
            assertThat(planned.blocking().stream().map(b -> b.partition()).distinct()).hasSize(24);
            DrainGroupRequests.Outcome.Refused refusal = (DrainGroupRequests.Outcome.Refused) refused;
            assertThat(refusal.refusal().kind()).isEqualTo(RefusalKind.GUARD_FAILED);
            assertThat(refusal.refusal().blocking()).isEqualTo(planned.blocking());
            assertThat(refusal.refusal().message()).startsWith("draining N1 (worker-1), N4 (worker-4), N2 (worker-2), N5 (worker-5) together: 24 partitions");
            assertThat(cluster.metadata.nodes().current().version()).isEqualTo(before);
            assertThat(new ControllerDocuments(cluster.metadata).drainGroups()).isEmpty();
            assertThat(cluster.metadata.nodes().current().workers()).extracting(n -> n.workerState()).containsOnly(WorkerState.ACTIVE);
        }
    }

    @Test
    void badRequestsAreRefusedClearlyAndChangeNothing() {
        try (ControllerHarness cluster = settledSix()) {
            Version before = cluster.metadata.nodes().current().version();
            DrainGroupRequests requests = requests(cluster);

            assertThat(requests.start(new DrainGroupRequests.Selection(List.of("worker-1", "nobody"), null), null, "", false, false, Optional.empty()))
                    .isInstanceOf(DrainGroupRequests.Outcome.Unresolved.class);
            assertThat(requests.start(new DrainGroupRequests.Selection(List.of(), "local.zone-z"), null, "", false, false, Optional.empty()))
                    .isEqualTo(new DrainGroupRequests.Outcome.Invalid("no worker is in zone 'local.zone-z'; zones: local.zone-a, local.zone-b, local.zone-c"));
            assertThat(requests.start(new DrainGroupRequests.Selection(List.of("worker-1"), "local.zone-a"), null, "", false, false, Optional.empty()))
                    .isEqualTo(new DrainGroupRequests.Outcome.Invalid("name the workers or a zone, not both"));
            assertThat(requests.start(new DrainGroupRequests.Selection(List.of(), null), null, "", false, false, Optional.empty()))
                    .isEqualTo(new DrainGroupRequests.Outcome.Invalid("name the workers to drain, or a zone"));
            assertThat(requests.start(new DrainGroupRequests.Selection(List.of("worker-1", "N1"), null), null, "", false, false, Optional.empty()))
                    .isEqualTo(new DrainGroupRequests.Outcome.Invalid("N1 (worker-1) is named twice"));
            assertThat(requests.start(new DrainGroupRequests.Selection(List.of("worker-1"), null), Duration.ofSeconds(2), "", false, false, Optional.empty()))
                    .isInstanceOf(DrainGroupRequests.Outcome.Invalid.class);
            assertThat(cluster.metadata.nodes().current().version()).isEqualTo(before);

            // A worker already draining (here, alone) cannot join a group; the group is refused whole.
            new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock).request("worker-3", WorkerState.DRAINING, "", false, false);
            Version draining = cluster.metadata.nodes().current().version();
            DrainGroupRequests.Outcome mixed = requests.start(new DrainGroupRequests.Selection(List.of("worker-1", "worker-3"), null), null, "", false, false,
                    Optional.empty());
            assertThat(((DrainGroupRequests.Outcome.Refused) mixed).refusal().message()).startsWith("N3 (worker-3) is draining (drained alone since ")
                    .endsWith("; a group drain takes active workers only");
            assertThat(cluster.metadata.nodes().current().version()).isEqualTo(draining);
            assertThat(cluster.state(NodeId.of(1))).isEqualTo(WorkerState.ACTIVE);
        }
    }

    @Test
    void aCancelBringsEveryMemberStillDrainingBackInOneWriteAndEndsTheGroup() {
        try (ControllerHarness cluster = settledSix()) {
            DrainGroupRequests requests = requests(cluster);
            DrainGroup started = ((DrainGroupRequests.Outcome.Started) requests.start(
                    new DrainGroupRequests.Selection(List.of("worker-1", "worker-4"), null), null, "", false, false, Optional.empty())).group();
            for (int i = 0; i < 5; i++) {
                cluster.step();
            }
            Version before = cluster.metadata.nodes().current().version();

            DrainGroupRequests.Outcome outcome = requests.cancel(started.id(), "wrong zone", Optional.empty());

            DrainGroupRequests.Outcome.Cancelled cancelled = (DrainGroupRequests.Outcome.Cancelled) outcome;
            assertThat(cancelled.changed()).isTrue();
            assertThat(cluster.metadata.nodes().current().version()).isEqualTo(before.next());
            assertThat(cluster.state(NodeId.of(1))).isEqualTo(WorkerState.ACTIVE);
            assertThat(cluster.state(NodeId.of(4))).isEqualTo(WorkerState.ACTIVE);
            assertThat(group(cluster, started.id()).state()).isEqualTo(DrainGroup.State.CANCELLED);
            assertThat(cluster.events(EventKind.DRAIN_GROUP_CANCELLED)).singleElement()
                    .satisfies(e -> assertThat(e.event().message()).isEqualTo("drain " + started.id() + " cancelled: 2 of 2 worker(s) back to active by operator: wrong zone"));
            for (int i = 0; i < 20; i++) {
                cluster.step();
            }
            assertThat(progress(cluster, started.id()).orElseThrow().state()).isEqualTo(DrainGroup.State.CANCELLED);
            assertThat(cluster.events(EventKind.DRAIN_GROUP_COMPLETED)).isEmpty();
            // Again: it has ended, nothing changes.
            assertThat(((DrainGroupRequests.Outcome.Cancelled) requests.cancel(started.id(), "", Optional.empty())).changed()).isFalse();
            assertThat(requests.cancel("d-00000000", "", Optional.empty())).isInstanceOf(DrainGroupRequests.Outcome.NotFound.class);
        }
    }

    /** An ended group's document goes a week after its end; its events stay. Before, every group ever run stayed in the store. */
    @Test
    void anEndedGroupsDocumentIsDeletedAWeekAfterItsEndAndItsEventsStay() {
        try (ControllerHarness cluster = settledSix()) {
            DrainGroupRequests requests = requests(cluster);
            DrainGroup started = ((DrainGroupRequests.Outcome.Started) requests.start(
                    new DrainGroupRequests.Selection(List.of("worker-1"), null), null, "", false, false, Optional.empty())).group();
            cluster.step();
            requests.cancel(started.id(), "changed my mind", Optional.empty());
            cluster.step();
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);
            assertThat(documents.drainGroup(started.id())).isPresent();

            cluster.clock.advance(DrainGroups.KEPT_AFTER_END.minusMinutes(1));
            cluster.step();
            assertThat(documents.drainGroup(started.id())).as("kept for a week").isPresent();
            cluster.clock.advance(Duration.ofMinutes(2));
            cluster.step();
            assertThat(documents.drainGroup(started.id())).as("deleted after a week").isEmpty();
            assertThat(documents.drainGroups()).isEmpty();
            assertThat(cluster.events(EventKind.DRAIN_GROUP_CANCELLED)).hasSize(1);
            assertThat(requests.cancel(started.id(), "", Optional.empty())).isInstanceOf(DrainGroupRequests.Outcome.NotFound.class);
        }
    }

    @Test
    void prunedAreTheExpiredAndThoseBeyondTheNewestHundredOldestFirstAHundredAPass() {
        Instant now = Instant.parse("2026-11-29T12:00:00Z");
        List<ControllerDocuments.StoredDrainGroup> groups = new java.util.ArrayList<>();
        // 250 ended an hour apart, newest first in the list to show the order is by end, not by input.
        for (int i = 0; i < 250; i++) {
            groups.add(stored("d-" + i, DrainGroup.State.COMPLETED, now.minus(Duration.ofHours(i))));
        }
        groups.add(stored("d-running", DrainGroup.State.RUNNING, now.minus(Duration.ofDays(30))));

        List<String> first = DrainGroups.toPrune(groups, now).stream().map(s -> s.group().id()).toList();
        assertThat(first).hasSize(DrainGroups.MAX_PRUNED_PER_PASS).startsWith("d-249", "d-248").doesNotContain("d-running");
        List<ControllerDocuments.StoredDrainGroup> left = groups.stream().filter(s -> !first.contains(s.group().id())).toList();
        List<String> second = DrainGroups.toPrune(left, now).stream().map(s -> s.group().id()).toList();
        // 150 ended ones left, all within a week (the oldest ended 149 h ago): only those beyond the newest 100 go.
        assertThat(second).hasSize(50).startsWith("d-149").endsWith("d-100");
        List<ControllerDocuments.StoredDrainGroup> kept = left.stream().filter(s -> !second.contains(s.group().id())).toList();
        assertThat(DrainGroups.toPrune(kept, now)).isEmpty();
        assertThat(DrainGroups.toPrune(kept, now.plus(DrainGroups.KEPT_AFTER_END))).extracting(s -> s.group().id())
                .as("a week on, every ended one has expired").hasSize(100).doesNotContain("d-running");
    }

    private static ControllerDocuments.StoredDrainGroup stored(String id, DrainGroup.State state, Instant ended) {
        DrainGroup group = new DrainGroup(id, "", null, List.of(new DrainGroup.Member(NodeId.of(1), "worker-1", new dev.sluice.model.GenerationalNodeId(NodeId.of(1), 1))),
                null, ended.minusSeconds(60), Version.of(1), null, state, state.ended() ? ended : null, false, ended, List.of());
        return new ControllerDocuments.StoredDrainGroup(group, 1);
    }

    @Test
    void aStalledDrainWithADeadlineIsAtRiskThenOverdueAndTheDeadlineChangesNothingElse() {
        try (ControllerHarness cluster = settledSix()) {
            // A frozen partition on worker-1 stalls the drain: the ETA is unknown, so the deadline is at risk.
            Placement frozen = cluster.placements().values().stream().filter(p -> p.current().contains(NodeId.of(1))).findFirst().orElseThrow();
            new PartitionPolicyRequests(cluster.metadata, cluster.clock).freeze(frozen.partition().toString(), true, "hold", Optional.empty());
            DrainGroup started = ((DrainGroupRequests.Outcome.Started) requests(cluster).start(
                    new DrainGroupRequests.Selection(List.of("worker-1", "worker-4"), null), Duration.ofSeconds(60), "", false, false, Optional.empty())).group();
            assertThat(started.deadline()).isEqualTo(cluster.clock.instant().plusSeconds(60));

            cluster.runUntil(() -> progress(cluster, started.id()).map(p -> p.deadlineStatus() == DrainDeadline.AT_RISK).orElse(false),
                    steps(Duration.ofSeconds(50)), "the drain is at risk before its deadline");

            DrainGroupProgress atRisk = progress(cluster, started.id()).orElseThrow();
            assertThat(atRisk.stalled()).isTrue();
            assertThat(atRisk.etaSeconds()).isNull();
            assertThat(atRisk.timeLeftSeconds()).isPositive();
            assertThat(group(cluster, started.id()).atRisk()).isTrue();
            assertThat(cluster.events(EventKind.DRAIN_GROUP_AT_RISK)).singleElement()
                    .satisfies(e -> assertThat(e.event().message()).contains("is AT RISK of missing its deadline", "it is stalled, so its ETA is unknown"));
            assertThat(Gauge.class.cast(cluster.meters.find("sluice.drain.at.risk").tag("drain", started.id()).gauge()).value()).isEqualTo(1.0);

            cluster.runUntil(() -> progress(cluster, started.id()).map(p -> p.deadlineStatus() == DrainDeadline.OVERDUE).orElse(false),
                    steps(Duration.ofSeconds(70)), "the drain is overdue once its deadline passed");
            assertThat(cluster.events(EventKind.DRAIN_GROUP_AT_RISK)).hasSize(2);
            // Nothing else: still running, nothing cancelled or forced.
            assertThat(group(cluster, started.id()).state()).isEqualTo(DrainGroup.State.RUNNING);
            assertThat(cluster.state(NodeId.of(1))).isEqualTo(WorkerState.DRAINING);

            // A new controller leader resumes the group, and does not report the at-risk standing again.
            cluster.loop = cluster.newLoop("controller-b");
            new PartitionPolicyRequests(cluster.metadata, cluster.clock).freeze(frozen.partition().toString(), false, "go", Optional.empty());
            cluster.runUntil(() -> group(cluster, started.id()).state() == DrainGroup.State.COMPLETED, steps(Duration.ofMinutes(5)),
                    "the group completes under the new leader");
            assertThat(cluster.events(EventKind.DRAIN_GROUP_AT_RISK)).hasSizeLessThanOrEqualTo(3);
            assertThat(progress(cluster, started.id()).orElseThrow().deadlineStatus()).isEqualTo(DrainDeadline.MISSED);
        }
    }

    @Test
    void aDeadlineTheEtaFitsIsOnTrackAndMet() {
        try (ControllerHarness cluster = settledSix()) {
            DrainGroup started = ((DrainGroupRequests.Outcome.Started) requests(cluster).start(
                    new DrainGroupRequests.Selection(List.of("worker-2"), null), Duration.ofHours(1), "", false, false, Optional.empty())).group();
            cluster.runUntil(() -> group(cluster, started.id()).state() == DrainGroup.State.COMPLETED, steps(Duration.ofMinutes(5)), "a group of one completes");

            assertThat(progress(cluster, started.id()).orElseThrow().deadlineStatus()).isEqualTo(DrainDeadline.MET);
            assertThat(cluster.events(EventKind.DRAIN_GROUP_AT_RISK)).isEmpty();
            assertThat(Gauge.class.cast(cluster.meters.find("sluice.drain.at.risk").tag("drain", started.id()).gauge())).isNull();
        }
    }

    @Test
    void theDeadlineRuleWithAnInjectedClock() {
        Instant deadline = Instant.parse("2026-11-29T10:30:00Z");
        Instant early = deadline.minus(Duration.ofMinutes(10));
        assertThat(DrainDeadline.judge(null, early, null, 100L, false)).isEqualTo(DrainDeadline.NONE);
        assertThat(DrainDeadline.judge(deadline, early, null, 599L, false)).isEqualTo(DrainDeadline.ON_TRACK);
        assertThat(DrainDeadline.judge(deadline, early, null, 600L, false)).isEqualTo(DrainDeadline.ON_TRACK);
        assertThat(DrainDeadline.judge(deadline, early, null, 601L, false)).isEqualTo(DrainDeadline.AT_RISK);
        assertThat(DrainDeadline.judge(deadline, early, null, null, false)).isEqualTo(DrainDeadline.ON_TRACK);
        assertThat(DrainDeadline.judge(deadline, early, null, null, true)).isEqualTo(DrainDeadline.AT_RISK);
        assertThat(DrainDeadline.judge(deadline, early, null, 1L, true)).isEqualTo(DrainDeadline.AT_RISK);
        assertThat(DrainDeadline.judge(deadline, deadline, null, 1L, false)).isEqualTo(DrainDeadline.OVERDUE);
        assertThat(DrainDeadline.judge(deadline, deadline.plusSeconds(1), null, null, true)).isEqualTo(DrainDeadline.OVERDUE);
        assertThat(DrainDeadline.judge(deadline, deadline.plusSeconds(5), deadline, 0L, false)).isEqualTo(DrainDeadline.MET);
        assertThat(DrainDeadline.judge(deadline, deadline.plusSeconds(5), deadline.plusSeconds(1), 0L, false)).isEqualTo(DrainDeadline.MISSED);
        assertThat(DrainDeadline.AT_RISK.warns()).isTrue();
        assertThat(DrainDeadline.OVERDUE.warns()).isTrue();
        assertThat(DrainDeadline.ON_TRACK.warns()).isFalse();
    }
}
