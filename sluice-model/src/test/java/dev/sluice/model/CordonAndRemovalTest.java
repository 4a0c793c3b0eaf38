package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cordon's and the removal's rules in {@link NodesConfiguration#apply}: who may be cordoned, that a cordon outlasts
 * restarts and transitions, and that only a stopped, disabled node no placement names leaves the configuration — with
 * a tombstone, its name free for a new node.
 */
class CordonAndRemovalTest {

    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    private static final GenerationalNodeId N1_2 = new GenerationalNodeId(NodeId.of(1), 2);
    private static final NodesChange.RemovalFacts EMPTY_AND_STOPPED = new NodesChange.RemovalFacts(false, 0, 0);

    private static NodeConfig worker(WorkerState state, Set<Role> roles) {
        return new NodeConfig("worker-a", N1_2, NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081"), roles,
                Location.DEFAULT, state, new StateChange(NOW.minusSeconds(60), Actor.OPERATOR, "setup", Version.of(5), "req-setup"), "inc", null);
    }

    private static NodesConfiguration clusterWith(WorkerState state) {
        return new NodesConfiguration(Version.of(7), List.of(worker(state, Set.of(Role.WORKER))), List.of());
    }

    private static NodesChange.CordonNode cordon(String requestId) {
        return new NodesChange.CordonNode(N1_2, Actor.OPERATOR, "disk filling up", requestId, NOW, CredentialName.of("oncall"));
    }

    private static NodesChange.RemoveNode remove(NodesChange.RemovalFacts facts) {
        return new NodesChange.RemoveNode(N1_2, Actor.OPERATOR, "decommissioned", facts, NOW, CredentialName.of("alice"));
    }

    private static ChangeResult.Changed changed(NodesConfiguration config, NodesChange change) {
        ChangeResult result = config.apply(change);
        assertThat(result).as("%s", result).isInstanceOf(ChangeResult.Changed.class);
        return (ChangeResult.Changed) result;
    }

    private static Refusal refused(NodesConfiguration config, NodesChange change) {
        ChangeResult result = config.apply(change);
        assertThat(result).as("%s", result).isInstanceOf(ChangeResult.Refused.class);
        return ((ChangeResult.Refused) result).refusal();
    }

    @Nested
    class Cordoning {

        @Test
        void anActiveWorkerIsCordonedWithWhoWhenAndWhyAndAnEvent() {
            ChangeResult.Changed result = changed(clusterWith(WorkerState.ACTIVE), cordon("c1"));

            assertThat(result.node().cordon()).isEqualTo(new Cordon("disk filling up", Actor.OPERATOR, NOW, "c1", CredentialName.of("oncall")));
            assertThat(result.node().isCordoned()).isTrue();
            assertThat(result.node().workerState()).isEqualTo(WorkerState.ACTIVE);
            assertThat(result.next().version()).isEqualTo(Version.of(8));
            assertThat(result.event().kind()).isEqualTo(EventKind.NODE_CORDONED);
            assertThat(result.event().message()).isEqualTo("N1 (worker-a) cordoned by operator with credential oncall: disk filling up;"
                    + " it keeps its replicas and leaderships and receives no new ones");
        }

        @Test
        void cordoningAgainKeepsTheFirstCordonAndWritesNothing() {
            NodesConfiguration cordoned = changed(clusterWith(WorkerState.ACTIVE), cordon("c1")).next();

            ChangeResult again = cordoned.apply(new NodesChange.CordonNode(N1_2, Actor.OPERATOR, "another reason", "c2", NOW.plusSeconds(5), null));
            ChangeResult retry = cordoned.apply(cordon("c1"));

            assertThat(again).isEqualTo(new ChangeResult.Unchanged(cordoned.find(NodeId.of(1)).orElseThrow(), false));
            assertThat(retry).isEqualTo(new ChangeResult.Unchanged(cordoned.find(NodeId.of(1)).orElseThrow(), true));
            assertThat(cordoned.find(NodeId.of(1)).orElseThrow().cordon().reason()).isEqualTo("disk filling up");
        }

        @Test
        void aRequestDecidedAgainstAnEarlierIncarnationIsRefused() {
            Refusal refusal = refused(clusterWith(WorkerState.ACTIVE),
                    new NodesChange.CordonNode(new GenerationalNodeId(NodeId.of(1), 1), Actor.OPERATOR, "", "c1", NOW, null));

            assertThat(refusal.kind()).isEqualTo(RefusalKind.STALE_GENERATION);
            assertThat(refusal.message()).isEqualTo("node N1 restarted since the request was made (request for N1:1, now N1:2); look at it again and retry");
        }

        @Test
        void aNodeWithoutTheWorkerRoleIsRefused() {
            NodesConfiguration config = new NodesConfiguration(Version.of(7), List.of(worker(WorkerState.ACTIVE, Set.of(Role.ADMIN))), List.of());

            Refusal refusal = refused(config, cordon("c1"));

            assertThat(refusal.kind()).isEqualTo(RefusalKind.INVALID_REQUEST);
            assertThat(refusal.message()).isEqualTo("N1 (worker-a) has no worker role, so it never receives replicas; there is nothing to cordon");
        }

        @ParameterizedTest
        @EnumSource(value = WorkerState.class, names = {"PROVISIONING", "DRAINING", "DISABLED"})
        void aWorkerInAnotherStateIsCordonedForWhenItIsActive(WorkerState state) {
            ChangeResult.Changed result = changed(clusterWith(state), cordon("c1"));

            assertThat(result.node().isCordoned()).isTrue();
            assertThat(result.event().message()).contains(state == WorkerState.PROVISIONING ? "once active it receives no replica"
                    : "it receives nothing while " + state + " anyway; the cordon holds if it becomes active again");
        }

        @Test
        void theCordonOutlastsARestartAndADrainThatIsCancelled() {
            NodesConfiguration config = changed(clusterWith(WorkerState.ACTIVE), cordon("c1")).next();
            config = changed(config, new NodesChange.RegisterNode("worker-a", NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081"),
                    Set.of(Role.WORKER), Location.DEFAULT, 2, "inc-2", NOW.plusSeconds(1))).next();
            GenerationalNodeId restarted = new GenerationalNodeId(NodeId.of(1), 3);
            config = changed(config, new NodesChange.TransitionWorker(restarted, WorkerState.DRAINING, Actor.OPERATOR, "", false,
                    GuardFacts.alive(true).withDrainPrecheck(GuardFacts.DrainPrecheck.PASSED), "t1", NOW.plusSeconds(2))).next();
            config = changed(config, new NodesChange.TransitionWorker(restarted, WorkerState.ACTIVE, Actor.OPERATOR, "", false,
                    GuardFacts.alive(true), "t2", NOW.plusSeconds(3))).next();

            NodeConfig node = config.find(NodeId.of(1)).orElseThrow();
            assertThat(node.id()).isEqualTo(restarted);
            assertThat(node.workerState()).isEqualTo(WorkerState.ACTIVE);
            assertThat(node.cordon()).isNotNull().extracting(Cordon::requestId).isEqualTo("c1");
        }

        @Test
        void uncordoningLiftsItWithAnEventAndAgainIsANoOp() {
            NodesConfiguration cordoned = changed(clusterWith(WorkerState.ACTIVE), cordon("c1")).next();

            ChangeResult.Changed result = changed(cordoned, new NodesChange.UncordonNode(NodeId.of(1), Actor.OPERATOR, NOW.plus(Duration.ofMinutes(5)), null));

            assertThat(result.node().isCordoned()).isFalse();
            assertThat(result.event().kind()).isEqualTo(EventKind.NODE_UNCORDONED);
            assertThat(result.event().message()).isEqualTo("N1 (worker-a) uncordoned by operator (cordoned since 2026-11-28T10:00:00Z: disk filling up);"
                    + " it may receive replicas again");
            assertThat(result.event().numbers()).containsEntry("durationMillis", 300_000L);
            assertThat(result.next().apply(new NodesChange.UncordonNode(NodeId.of(1), Actor.OPERATOR, NOW, null)))
                    .isInstanceOf(ChangeResult.Unchanged.class);
        }
    }

    @Nested
    class Removing {

        @Test
        void aStoppedEmptyDisabledWorkerLeavesATombstoneAndItsNameRegistersAsANewNode() {
            ChangeResult.Changed result = changed(clusterWith(WorkerState.DISABLED), remove(EMPTY_AND_STOPPED));

            NodesConfiguration after = result.next();
            assertThat(after.nodes()).isEmpty();
            assertThat(after.tombstones()).containsExactly(new Tombstone(NodeId.of(1), "worker-a", 2, NOW));
            assertThat(after.findByName("worker-a")).isEmpty();
            assertThat(result.node()).isNull();
            assertThat(result.event().kind()).isEqualTo(EventKind.NODE_REMOVED);
            assertThat(result.event().message()).isEqualTo("N1:2 (worker-a) removed by operator with credential alice: decommissioned;"
                    + " its id stays reserved, and the name 'worker-a' registers again as a new node");

            ChangeResult.Changed again = changed(after, new NodesChange.RegisterNode("worker-a", NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081"),
                    Set.of(Role.WORKER), Location.DEFAULT, null, "inc-new", NOW.plusSeconds(10)));
            assertThat(again.node().id()).isEqualTo(new GenerationalNodeId(NodeId.of(2), GenerationalNodeId.FIRST_GENERATION));
            assertThat(again.node().workerState()).isEqualTo(WorkerState.PROVISIONING);
            assertThat(again.next().label(NodeId.of(1))).isEqualTo("N1 (worker-a)");
            assertThat(again.next().isRemoved(NodeId.of(1))).isTrue();
        }

        @ParameterizedTest
        @EnumSource(value = WorkerState.class, names = {"PROVISIONING", "ACTIVE", "DRAINING"})
        void aWorkerThatIsNotDisabledIsRefusedWithWhatToDoFirst(WorkerState state) {
            NodesConfiguration config = clusterWith(state);

            Refusal refusal = refused(config, remove(EMPTY_AND_STOPPED));

            assertThat(refusal.kind()).isEqualTo(RefusalKind.GUARD_FAILED);
            assertThat(refusal.current()).isEqualTo(state);
            assertThat(refusal.message()).startsWith("only a disabled node can be removed; N1 (worker-a) is " + state + ": ")
                    .contains(state == WorkerState.PROVISIONING ? "disable it first" : "becomes disabled by itself once empty");
        }

        @Test
        void aRunningWorkerIsRefused() {
            Refusal refusal = refused(clusterWith(WorkerState.DISABLED), remove(new NodesChange.RemovalFacts(true, 0, 0)));

            assertThat(refusal.kind()).isEqualTo(RefusalKind.GUARD_FAILED);
            assertThat(refusal.message()).isEqualTo("N1 (worker-a) cannot be removed now: it is still registered alive; stop its process first"
                    + " (a running process would register its name again as a new node)");
        }

        @Test
        void aWorkerThatPlacementsStillNameIsRefused() {
            Refusal refusal = refused(clusterWith(WorkerState.DISABLED), remove(new NodesChange.RemovalFacts(false, 3, 1)));

            assertThat(refusal.message()).isEqualTo("N1 (worker-a) cannot be removed now: it still holds data: it is in 3 replica set(s) and leads"
                    + " 1 partition(s); drain it (or wait for the controller to replace them) first");
        }

        @Test
        void unknownFactsRefuse() {
            assertThat(refused(clusterWith(WorkerState.DISABLED), remove(null)).message())
                    .isEqualTo("N1 (worker-a) cannot be removed now: nobody checked that it holds nothing and is stopped");
            assertThat(refused(clusterWith(WorkerState.DISABLED), remove(new NodesChange.RemovalFacts(null, 0, 0))).message())
                    .isEqualTo("N1 (worker-a) cannot be removed now: its liveness is unknown");
        }

        @Test
        void aStaleOrRemovedNodeIsRefused() {
            NodesConfiguration config = clusterWith(WorkerState.DISABLED);
            Refusal stale = refused(config, new NodesChange.RemoveNode(new GenerationalNodeId(NodeId.of(1), 1), Actor.OPERATOR, "", EMPTY_AND_STOPPED,
                    NOW, null));
            assertThat(stale.kind()).isEqualTo(RefusalKind.STALE_GENERATION);

            NodesConfiguration removed = changed(config, remove(EMPTY_AND_STOPPED)).next();
            Refusal twice = refused(removed, remove(EMPTY_AND_STOPPED));
            assertThat(twice.kind()).isEqualTo(RefusalKind.UNKNOWN_NODE);
            assertThat(twice.message()).isEqualTo("unknown node N1 (it was removed already)");
        }
    }
}
