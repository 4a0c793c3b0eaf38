package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A change of several workers at once ({@link NodesChange.TransitionWorkers}): a group drain and its cancel are one
 * version of the nodes configuration, all or nothing, with the set's pre-check judged once, and one audit record per
 * member.
 */
class GroupTransitionTest {

    private static final Instant NOW = Instant.parse("2026-11-29T09:00:00Z");
    private static final GuardFacts.DrainPrecheck PASSED = GuardFacts.DrainPrecheck.PASSED;

    private static NodeConfig worker(int id, int generation, WorkerState state, String requestId) {
        return new NodeConfig("worker-" + id, new GenerationalNodeId(NodeId.of(id), generation),
                NodeAddresses.of("127.0.0.1:700" + id, "http://127.0.0.1:808" + id), Set.of(Role.WORKER), Location.DEFAULT, state,
                new StateChange(NOW.minusSeconds(60), Actor.OPERATOR, "setup", Version.of(3), requestId), "inc-" + id, null);
    }

    /** Four workers, N3 draining alone since earlier. */
    private static NodesConfiguration cluster() {
        List<NodeConfig> nodes = new ArrayList<>();
        nodes.add(worker(1, 1, WorkerState.ACTIVE, "r1"));
        nodes.add(worker(2, 1, WorkerState.ACTIVE, "r2"));
        nodes.add(worker(3, 1, WorkerState.DRAINING, "r3"));
        nodes.add(worker(4, 1, WorkerState.ACTIVE, "r4"));
        return new NodesConfiguration(Version.of(9), nodes, List.of());
    }

    private static GenerationalNodeId n(int id) {
        return new GenerationalNodeId(NodeId.of(id), 1);
    }

    private static NodesChange.TransitionWorkers drain(List<GenerationalNodeId> nodes, GuardFacts.DrainPrecheck precheck, boolean force) {
        return new NodesChange.TransitionWorkers(nodes, WorkerState.DRAINING, Actor.OPERATOR, "zone retired", force, "d-1", precheck, Map.of(),
                "drain-group-d-1", NOW, CredentialName.of("oncall"));
    }

    @Test
    void aGroupDrainIsOneVersionWithOneAuditRecordPerMemberAndAGroupEvent() {
        ChangeResult result = cluster().apply(drain(List.of(n(1), n(2)), PASSED, false));

        assertThat(result).isInstanceOf(ChangeResult.Changed.class);
        ChangeResult.Changed changed = (ChangeResult.Changed) result;
        assertThat(changed.next().version()).isEqualTo(Version.of(10));
        for (int id : new int[] {1, 2}) {
            NodeConfig node = changed.next().find(NodeId.of(id)).orElseThrow();
            assertThat(node.workerState()).isEqualTo(WorkerState.DRAINING);
            assertThat(node.lastStateChange().version()).isEqualTo(Version.of(10));
            assertThat(node.lastStateChange().requestId()).isEqualTo("drain-group-d-1");
        }
        assertThat(changed.next().find(NodeId.of(4)).orElseThrow().workerState()).isEqualTo(WorkerState.ACTIVE);
        List<AuditRecord> records = changed.events().stream().map(ClusterEvent::transition).filter(r -> r != null).toList();
        assertThat(records).extracting(r -> r.node().id()).containsExactly(NodeId.of(1), NodeId.of(2));
        assertThat(records).allSatisfy(r -> {
            assertThat(r.version()).isEqualTo(Version.of(10));
            assertThat(r.forced()).isFalse();
            assertThat(r.credential()).isEqualTo(CredentialName.of("oncall"));
        });
        assertThat(changed.events().getLast().kind()).isEqualTo(EventKind.DRAIN_GROUP_STARTED);
        assertThat(changed.events().getLast().message()).isEqualTo(
                "drain d-1 of N1 (worker-1), N2 (worker-2) started by operator with credential oncall: zone retired");
    }

    @Test
    void theSetsPreCheckRefusesTheWholeGroupNamingTheBlockingPartitionsAndForceGoesPast() {
        List<BlockingPartition> blocking = List.of(new BlockingPartition(PartitionId.of(7), "not-enough-candidates", "needs 3 replicas, 2 candidates"));

        ChangeResult refused = cluster().apply(drain(List.of(n(1), n(2)), new GuardFacts.DrainPrecheck(blocking), false));
        ChangeResult forced = cluster().apply(drain(List.of(n(1), n(2)), new GuardFacts.DrainPrecheck(blocking), true));
        ChangeResult notRun = cluster().apply(drain(List.of(n(1), n(2)), null, false));

        assertThat(refused).isInstanceOf(ChangeResult.Refused.class);
        Refusal refusal = ((ChangeResult.Refused) refused).refusal();
        assertThat(refusal.kind()).isEqualTo(RefusalKind.GUARD_FAILED);
        assertThat(refusal.blocking()).isEqualTo(blocking);
        assertThat(refusal.message()).isEqualTo("draining N1 (worker-1), N2 (worker-2) together: 1 partition would have no compliant replacement: "
                + BlockingPartition.summary(blocking, 3));
        assertThat(forced).isInstanceOf(ChangeResult.Changed.class);
        assertThat(((ChangeResult.Changed) forced).events().stream().map(ClusterEvent::transition).filter(r -> r != null))
                .allSatisfy(r -> assertThat(r.forced()).isTrue());
        assertThat(notRun).isInstanceOf(ChangeResult.Refused.class);
    }

    @Test
    void aMemberThatIsNotActiveOrRestartedRefusesTheWholeGroupAndNothingChanges() {
        NodesConfiguration before = cluster();

        ChangeResult withDraining = before.apply(drain(List.of(n(1), n(3)), PASSED, false));
        ChangeResult withStale = before.apply(drain(List.of(n(1), new GenerationalNodeId(NodeId.of(2), 7)), PASSED, false));
        ChangeResult withUnknown = before.apply(drain(List.of(n(1), n(9)), PASSED, false));

        assertThat(((ChangeResult.Refused) withDraining).refusal().message())
                .isEqualTo("N3 (worker-3) is already draining (another drain); a group drain takes active workers only");
        assertThat(((ChangeResult.Refused) withStale).refusal().kind()).isEqualTo(RefusalKind.STALE_GENERATION);
        assertThat(((ChangeResult.Refused) withUnknown).refusal().kind()).isEqualTo(RefusalKind.UNKNOWN_NODE);
        // A refusal is a value: the configuration it was judged on is unchanged, and no write follows from it.
        assertThat(before.find(NodeId.of(1)).orElseThrow().workerState()).isEqualTo(WorkerState.ACTIVE);
    }

    @Test
    void aRetriedGroupDrainFindsItsOwnWriteAndTheCancelBringsEveryMemberBackInOneVersion() {
        ChangeResult.Changed drained = (ChangeResult.Changed) cluster().apply(drain(List.of(n(1), n(2)), PASSED, false));

        ChangeResult retried = drained.next().apply(drain(List.of(n(1), n(2)), PASSED, false));
        ChangeResult cancel = drained.next().apply(new NodesChange.TransitionWorkers(List.of(n(1), n(2)), WorkerState.ACTIVE, Actor.OPERATOR, "",
                false, "d-1", null, Map.of(), "cancel-drain-group-d-1", NOW.plusSeconds(30), null));

        assertThat(retried).isEqualTo(new ChangeResult.Unchanged(drained.node(), true));
        ChangeResult.Changed cancelled = (ChangeResult.Changed) cancel;
        assertThat(cancelled.next().version()).isEqualTo(Version.of(11));
        assertThat(cancelled.next().workers()).filteredOn(w -> w.nodeId().value() <= 2).extracting(NodeConfig::workerState)
                .containsOnly(WorkerState.ACTIVE);
        assertThat(cancelled.events().getLast().kind()).isEqualTo(EventKind.DRAIN_GROUP_CANCELLED);
        assertThat(cancelled.events().getLast().message()).isEqualTo("drain d-1 cancelled: 2 of 2 worker(s) back to active by operator");
    }

    private static NodesChange.TransitionWorker disable(GenerationalNodeId node, int stillNamedIn) {
        return new NodesChange.TransitionWorker(node, WorkerState.DISABLED, Actor.CONTROLLER, "drained", false,
                GuardFacts.NONE.withEmptied(new GuardFacts.EmptiedEvidence(stillNamedIn, 0, Version.of(9))), "disable-1", NOW);
    }

    /** Four workers draining since version 3. */
    private static NodesConfiguration fourDraining() {
        List<NodeConfig> nodes = new ArrayList<>();
        for (int id = 1; id <= 4; id++) {
            nodes.add(worker(id, 1, WorkerState.DRAINING, "r" + id));
        }
        return new NodesConfiguration(Version.of(9), nodes, List.of());
    }

    /**
     * The controller disables the workers a pass found drained in one version, each judged alone: one whose guard fails
     * (still named in a replica set), one restarted since (a newer generation) and one already disabled by this request
     * are left out, and the others are written with an audit record each, all of the one version.
     */
    @Test
    void drainedWorkersAreDisabledInOneVersionEachJudgedAloneTheRefusedLeftOut() {
        NodesConfiguration before = fourDraining();
        ChangeResult result = before.apply(new NodesChange.TransitionEach(List.of(disable(n(1), 0), disable(n(2), 1),
                disable(new GenerationalNodeId(NodeId.of(3), 2), 0), disable(n(4), 0))));

        ChangeResult.Changed changed = (ChangeResult.Changed) result;
        assertThat(changed.next().version()).isEqualTo(Version.of(10));
        assertThat(changed.next().workers()).extracting(NodeConfig::workerState)
                .containsExactly(WorkerState.DISABLED, WorkerState.DRAINING, WorkerState.DRAINING, WorkerState.DISABLED);
        List<AuditRecord> records = changed.events().stream().map(ClusterEvent::transition).toList();
        assertThat(records).extracting(r -> r.node().id()).containsExactly(NodeId.of(1), NodeId.of(4));
        assertThat(records).allSatisfy(r -> assertThat(r.version()).isEqualTo(Version.of(10)));

        // Asked again (a retry after a lost reply): the two written are this request's own, the others still refused.
        ChangeResult again = changed.next().apply(new NodesChange.TransitionEach(List.of(disable(n(1), 0), disable(n(4), 0))));
        assertThat(again).isEqualTo(new ChangeResult.Unchanged(changed.next().find(NodeId.of(1)).orElseThrow(), true));
        ChangeResult none = before.apply(new NodesChange.TransitionEach(List.of(disable(n(2), 1))));
        assertThat(none).isInstanceOf(ChangeResult.Refused.class);
        assertThat(((ChangeResult.Refused) none).refusal().message()).contains("still in 1 replica set(s)");
    }
}
