package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The replace's rules in {@link NodesConfiguration#apply}: OLD must be active and NEW an active, alive, uncordoned
 * worker in no other replace; the pre-check must have run and passed; OLD then drains with the replacement recorded and
 * an audit record of active → draining; cancelling or finishing the drain clears it.
 */
class ReplaceRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-29T09:00:00Z");
    private static final GenerationalNodeId OLD = new GenerationalNodeId(NodeId.of(1), 2);
    private static final GenerationalNodeId NEW = new GenerationalNodeId(NodeId.of(5), 1);
    private static final GenerationalNodeId OTHER = new GenerationalNodeId(NodeId.of(2), 1);
    private static final NodesChange.ReplaceFacts CLEAR = new NodesChange.ReplaceFacts(true, List.of());

    private static NodeConfig worker(String name, GenerationalNodeId id, WorkerState state) {
        return new NodeConfig(name, id, NodeAddresses.of("127.0.0.1:700" + id.id().value(), "http://127.0.0.1:808" + id.id().value()),
                Set.of(Role.WORKER), Location.DEFAULT, state, new StateChange(NOW.minusSeconds(60), Actor.OPERATOR, "setup", Version.of(5), "req-setup"),
                "inc", null);
    }

    private static NodesConfiguration cluster(NodeConfig... nodes) {
        return new NodesConfiguration(Version.of(7), List.of(nodes), List.of());
    }

    private static NodesConfiguration healthy() {
        return cluster(worker("old-a", OLD, WorkerState.ACTIVE), worker("other-b", OTHER, WorkerState.ACTIVE), worker("new-e", NEW, WorkerState.ACTIVE));
    }

    private static NodesChange.ReplaceWorker replace(NodesChange.ReplaceFacts facts) {
        return new NodesChange.ReplaceWorker(OLD, NEW, Actor.OPERATOR, "disk failing", facts, "req-1", NOW, CredentialName.of("oncall"));
    }

    private static Refusal refused(NodesConfiguration config, NodesChange change) {
        ChangeResult result = config.apply(change);
        assertThat(result).as("%s", result).isInstanceOf(ChangeResult.Refused.class);
        return ((ChangeResult.Refused) result).refusal();
    }

    private static ChangeResult.Changed changed(NodesConfiguration config, NodesChange change) {
        ChangeResult result = config.apply(change);
        assertThat(result).as("%s", result).isInstanceOf(ChangeResult.Changed.class);
        return (ChangeResult.Changed) result;
    }

    @Test
    void aReplaceDrainsOldWithTheReplacementRecordedAndAnAuditRecord() {
        ChangeResult.Changed result = changed(healthy(), replace(CLEAR));

        NodeConfig old = result.next().find(OLD.id()).orElseThrow();
        assertThat(old.workerState()).isEqualTo(WorkerState.DRAINING);
        assertThat(old.replacement()).isEqualTo(new Replacement(NEW.id(), "disk failing", Actor.OPERATOR, NOW, "req-1", CredentialName.of("oncall")));
        assertThat(old.lastStateChange().reason()).isEqualTo("replaced by N5 (new-e): disk failing");
        assertThat(result.event().kind()).isEqualTo(EventKind.NODE_TRANSITION);
        assertThat(result.event().transition().from()).isEqualTo(WorkerState.ACTIVE);
        assertThat(result.event().transition().to()).isEqualTo(WorkerState.DRAINING);
        assertThat(result.event().transition().credential()).isEqualTo(CredentialName.of("oncall"));
        assertThat(result.next().find(NEW.id()).orElseThrow().workerState()).isEqualTo(WorkerState.ACTIVE);
        // A retry of the same request finds its own write.
        assertThat(result.next().apply(replace(CLEAR))).isEqualTo(new ChangeResult.Unchanged(old, true));
    }

    @Test
    void cancellingTheDrainCancelsTheReplaceAndFinishingItFinishesIt() {
        NodesConfiguration replacing = changed(healthy(), replace(CLEAR)).next();

        ChangeResult.Changed cancelled = changed(replacing, new NodesChange.TransitionWorker(OLD, WorkerState.ACTIVE, Actor.OPERATOR, "not now",
                false, GuardFacts.NONE, "req-2", NOW.plusSeconds(5)));
        assertThat(cancelled.node().replacement()).isNull();
        assertThat(cancelled.event().message()).endsWith("; its replace by N5 (new-e) is cancelled");

        ChangeResult.Changed finished = changed(replacing, new NodesChange.TransitionWorker(OLD, WorkerState.DISABLED, Actor.CONTROLLER, "drained",
                false, GuardFacts.NONE.withEmptied(new GuardFacts.EmptiedEvidence(0, 0, replacing.version())), "req-3", NOW.plusSeconds(9)));
        assertThat(finished.node().replacement()).isNull();
        assertThat(finished.event().message()).endsWith("; its replace by N5 (new-e) is finished");
    }

    @Test
    void theReplacementSurvivesARestartOfOld() {
        NodesConfiguration replacing = changed(healthy(), replace(CLEAR)).next();
        NodeConfig old = replacing.find(OLD.id()).orElseThrow();
        NodesConfiguration restarted = changed(replacing, new NodesChange.RegisterNode("old-a", old.addresses(), old.roles(), old.location(),
                OLD.generation(), "inc-2", NOW.plusSeconds(3))).next();
        assertThat(restarted.find(OLD.id()).orElseThrow().replacement().by()).isEqualTo(NEW.id());
    }

    @ParameterizedTest
    @EnumSource(value = WorkerState.class, names = {"PROVISIONING", "DRAINING", "DISABLED"})
    void oldMustBeActive(WorkerState state) {
        Refusal refusal = refused(cluster(worker("old-a", OLD, state), worker("new-e", NEW, WorkerState.ACTIVE)), replace(CLEAR));
        assertThat(refusal.kind()).isEqualTo(RefusalKind.GUARD_FAILED);
        assertThat(refusal.message()).startsWith("only an active worker can be replaced; N1 (old-a): it is " + state);
    }

    @ParameterizedTest
    @EnumSource(value = WorkerState.class, names = {"PROVISIONING", "DRAINING", "DISABLED"})
    void newMustBeActive(WorkerState state) {
        Refusal refusal = refused(cluster(worker("old-a", OLD, WorkerState.ACTIVE), worker("new-e", NEW, state)), replace(CLEAR));
        assertThat(refusal.kind()).isEqualTo(RefusalKind.GUARD_FAILED);
        assertThat(refusal.message()).isEqualTo("N5 (new-e) cannot receive N1 (old-a)'s replicas: it is " + state
                + "; only an active worker receives replicas");
    }

    @Test
    void aDeadOrUnknownLivenessNewIsRefusedAndACordonedOneAccepted() {
        // A cordoned NEW is how an operator keeps a new worker empty until the replace names it.
        NodeConfig cordoned = worker("new-e", NEW, WorkerState.ACTIVE).withCordon(new Cordon("hold", Actor.OPERATOR, NOW, "c1", null));
        assertThat(changed(cluster(worker("old-a", OLD, WorkerState.ACTIVE), cordoned), replace(CLEAR)).node().replacement().by()).isEqualTo(NEW.id());
        NodeConfig away = worker("new-e", NEW, WorkerState.ACTIVE).withMaintenance(new Maintenance("patch", Actor.OPERATOR, NOW.minusSeconds(5),
                NOW.plusSeconds(600), 1, "m1", null));
        assertThat(refused(cluster(worker("old-a", OLD, WorkerState.ACTIVE), away), replace(CLEAR)).message())
                .endsWith("it is in maintenance until " + NOW.plusSeconds(600));
        assertThat(refused(healthy(), replace(new NodesChange.ReplaceFacts(false, List.of()))).message())
                .endsWith("its process is not running; start it first");
        assertThat(refused(healthy(), replace(new NodesChange.ReplaceFacts(null, List.of()))).message()).endsWith("its liveness is unknown");
    }

    @Test
    void withoutOrFailingThePrecheckNothingIsWritten() {
        assertThat(refused(healthy(), replace(null)).message()).isEqualTo("the replace pre-check was not run");
        assertThat(refused(healthy(), replace(new NodesChange.ReplaceFacts(true, null))).message()).isEqualTo("the replace pre-check was not run");
        BlockingPartition blocked = new BlockingPartition(PartitionId.of(3), "replacement-holds-replica", "N5 already holds a replica of P3");
        Refusal refusal = refused(healthy(), replace(new NodesChange.ReplaceFacts(true, List.of(blocked))));
        assertThat(refusal.kind()).isEqualTo(RefusalKind.GUARD_FAILED);
        assertThat(refusal.blocking()).containsExactly(blocked);
        assertThat(refusal.message()).isEqualTo("N1 (old-a) cannot be replaced by N5 (new-e) now: 1 partition could not move to it: "
                + "P3: replacement-holds-replica: N5 already holds a replica of P3");
    }

    @Test
    void oneReplacePerReceivingWorkerAndNoChains() {
        NodesConfiguration replacing = changed(healthy(), replace(CLEAR)).next();
        Refusal twice = refused(replacing, new NodesChange.ReplaceWorker(OTHER, NEW, Actor.OPERATOR, "", CLEAR, "req-9", NOW, null));
        assertThat(twice.message()).isEqualTo("N5 (new-e) cannot receive N2 (other-b)'s replicas: it already receives the replicas of N1 (old-a);"
                + " one replace per receiving worker at a time");
        Refusal newReplaced = refused(replacing, new NodesChange.ReplaceWorker(NEW, OTHER, Actor.OPERATOR, "", CLEAR, "req-10", NOW, null));
        assertThat(newReplaced.message()).isEqualTo("N2 (other-b) cannot receive N5 (new-e)'s replicas: the worker it would replace receives the"
                + " replicas of N1 (old-a) now");
        Refusal oldAgain = refused(replacing, new NodesChange.ReplaceWorker(OLD, OTHER, Actor.OPERATOR, "", CLEAR, "req-11", NOW, null));
        assertThat(oldAgain.message()).isEqualTo("only an active worker can be replaced; N1 (old-a): it is already being replaced by N5 (new-e);"
                + " cancel that first (nodes activate)");
    }

    @Test
    void badRequestsAreRefusedAndChangeNothing() {
        assertThat(refused(healthy(), new NodesChange.ReplaceWorker(OLD, OLD, Actor.OPERATOR, "", CLEAR, "r", NOW, null)).message())
                .isEqualTo("a worker cannot replace itself; name another worker to receive N1 (old-a)'s replicas");
        assertThat(refused(healthy(), new NodesChange.ReplaceWorker(OLD, new GenerationalNodeId(NodeId.of(5), 7), Actor.OPERATOR, "", CLEAR, "r",
                NOW, null)).kind()).isEqualTo(RefusalKind.STALE_GENERATION);
        assertThat(refused(healthy(), new NodesChange.ReplaceWorker(OLD, new GenerationalNodeId(NodeId.of(9), 1), Actor.OPERATOR, "", CLEAR, "r",
                NOW, null)).kind()).isEqualTo(RefusalKind.UNKNOWN_NODE);
        assertThat(refused(healthy(), new NodesChange.ReplaceWorker(OLD, NEW, Actor.CONTROLLER, "", CLEAR, "r", NOW, null)).kind())
                .isEqualTo(RefusalKind.ACTOR_NOT_PERMITTED);
    }
}
