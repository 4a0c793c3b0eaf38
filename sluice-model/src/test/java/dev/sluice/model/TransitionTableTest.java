package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every (from, to, actor) cell of the transition table, with and without force, with the guard holding
 * and failing. The expected outcomes are written out here independently of {@link TransitionTable}, as
 * the design document states them, so a change to the table must change this test too.
 */
class TransitionTableTest {

    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    enum Outcome { APPLIED, APPLIED_FORCED, NO_OP, ILLEGAL, NOT_PERMITTED, NEEDS_FORCE, GUARD_FAILED }

    /** The design document's table: the outcome without force, guard holding. */
    private static Outcome expected(WorkerState from, WorkerState to, Actor actor) {
        if (from == to) {
            return Outcome.NO_OP;
        }
        String cell = from.wireName() + "->" + to.wireName();
        return switch (cell) {
            case "provisioning->active" -> actor == Actor.NODE ? Outcome.APPLIED : actor == Actor.OPERATOR ? Outcome.NEEDS_FORCE : Outcome.NOT_PERMITTED;
            case "provisioning->disabled" -> actor == Actor.OPERATOR ? Outcome.APPLIED : Outcome.NOT_PERMITTED;
            case "active->draining" -> actor == Actor.OPERATOR ? Outcome.APPLIED : Outcome.NOT_PERMITTED;
            case "active->disabled" -> actor == Actor.OPERATOR ? Outcome.NEEDS_FORCE : Outcome.NOT_PERMITTED;
            case "draining->active" -> actor == Actor.OPERATOR ? Outcome.APPLIED : Outcome.NOT_PERMITTED;
            case "draining->disabled" -> actor == Actor.CONTROLLER ? Outcome.APPLIED : actor == Actor.OPERATOR ? Outcome.NEEDS_FORCE : Outcome.NOT_PERMITTED;
            case "disabled->active", "disabled->provisioning" -> actor == Actor.OPERATOR ? Outcome.APPLIED : Outcome.NOT_PERMITTED;
            default -> Outcome.ILLEGAL;
        };
    }

    /** Which cells have a guard, as the design document states. */
    private static TransitionTable.Guard expectedGuard(WorkerState from, WorkerState to) {
        if (from == WorkerState.ACTIVE && to == WorkerState.DRAINING) {
            return TransitionTable.Guard.DRAIN_PRECHECK;
        }
        if (from == WorkerState.DRAINING && to == WorkerState.DISABLED) {
            return TransitionTable.Guard.EMPTIED_WHILE_DRAINING;
        }
        if (from == WorkerState.DISABLED && to == WorkerState.ACTIVE) {
            return TransitionTable.Guard.NODE_ALIVE;
        }
        return TransitionTable.Guard.NONE;
    }

    static Stream<Arguments> everyCell() {
        List<Arguments> cells = new ArrayList<>();
        for (WorkerState from : WorkerState.values()) {
            for (WorkerState to : WorkerState.values()) {
                for (Actor actor : Actor.values()) {
                    cells.add(Arguments.of(from, to, actor));
                }
            }
        }
        return cells.stream();
    }

    @ParameterizedTest(name = "{0} -> {1} by {2}")
    @MethodSource("everyCell")
    void withoutForceAndGuardHolding(WorkerState from, WorkerState to, Actor actor) {
        Fixture fixture = Fixture.nodeIn(from);
        ChangeResult result = fixture.config.apply(fixture.request(to, actor, false, fixture.factsHolding()));
        assertOutcome(result, expected(from, to, actor), from, to, actor);
    }

    @ParameterizedTest(name = "{0} -> {1} by {2}, forced")
    @MethodSource("everyCell")
    void withForceAndGuardHolding(WorkerState from, WorkerState to, Actor actor) {
        Fixture fixture = Fixture.nodeIn(from);
        ChangeResult result = fixture.config.apply(fixture.request(to, actor, true, fixture.factsHolding()));
        Outcome withoutForce = expected(from, to, actor);
        Outcome expected = withoutForce == Outcome.NEEDS_FORCE ? Outcome.APPLIED_FORCED : withoutForce;
        assertOutcome(result, expected, from, to, actor);
    }

    @ParameterizedTest(name = "{0} -> {1} by {2}, guard failing")
    @MethodSource("everyCell")
    void guardFailing(WorkerState from, WorkerState to, Actor actor) {
        Fixture fixture = Fixture.nodeIn(from);
        Outcome plain = expected(from, to, actor);
        boolean guarded = expectedGuard(from, to) != TransitionTable.Guard.NONE;
        Outcome expected = guarded && plain == Outcome.APPLIED ? Outcome.GUARD_FAILED : plain;
        ChangeResult result = fixture.config.apply(fixture.request(to, actor, false, fixture.factsFailing()));
        assertOutcome(result, expected, from, to, actor);

        // Force skips the pre-check and the emptied check for an operator, never the liveness check.
        Outcome forcedPlain = plain == Outcome.NEEDS_FORCE ? Outcome.APPLIED_FORCED : plain;
        Outcome forcedExpected = forcedPlain;
        if (guarded && (forcedPlain == Outcome.APPLIED || forcedPlain == Outcome.APPLIED_FORCED)) {
            boolean skippable = expectedGuard(from, to) != TransitionTable.Guard.NODE_ALIVE && actor == Actor.OPERATOR;
            forcedExpected = skippable ? Outcome.APPLIED_FORCED : Outcome.GUARD_FAILED;
        }
        ChangeResult forced = fixture.config.apply(fixture.request(to, actor, true, fixture.factsFailing()));
        assertOutcome(forced, forcedExpected, from, to, actor);
    }

    @ParameterizedTest(name = "{0} -> {1} by {2}, stale generation")
    @MethodSource("everyCell")
    void staleGenerationIsRefusedUnlessNoOp(WorkerState from, WorkerState to, Actor actor) {
        Fixture fixture = Fixture.nodeIn(from);
        GenerationalNodeId stale = new GenerationalNodeId(fixture.node.nodeId(), fixture.node.id().generation() - 1);
        ChangeResult result = fixture.config.apply(new NodesChange.TransitionWorker(stale, to, actor, "test", true,
                fixture.factsHolding(), "req-stale", NOW));
        assertThat(result).isInstanceOf(ChangeResult.Refused.class);
        assertThat(((ChangeResult.Refused) result).refusal().kind()).isEqualTo(RefusalKind.STALE_GENERATION);
    }

    private static void assertOutcome(ChangeResult result, Outcome expected, WorkerState from, WorkerState to, Actor actor) {
        String cell = from + " -> " + to + " by " + actor;
        switch (expected) {
            case APPLIED, APPLIED_FORCED -> {
                assertThat(result).as(cell).isInstanceOf(ChangeResult.Changed.class);
                ChangeResult.Changed changed = (ChangeResult.Changed) result;
                assertThat(changed.node().workerState()).as(cell).isEqualTo(to);
                assertThat(changed.next().version()).as(cell).isEqualTo(Version.of(8));
                AuditRecord record = changed.event().transition();
                assertThat(record.from()).isEqualTo(from);
                assertThat(record.to()).isEqualTo(to);
                assertThat(record.actor()).isEqualTo(actor);
                assertThat(record.forced()).as(cell + " forced flag").isEqualTo(expected == Outcome.APPLIED_FORCED);
                assertThat(record.version()).isEqualTo(changed.next().version());
                assertThat(changed.node().lastStateChange().version()).isEqualTo(changed.next().version());
            }
            case NO_OP -> {
                assertThat(result).as(cell).isInstanceOf(ChangeResult.Unchanged.class);
                assertThat(((ChangeResult.Unchanged) result).ownEarlierWrite()).isFalse();
            }
            case ILLEGAL, NOT_PERMITTED, NEEDS_FORCE, GUARD_FAILED -> {
                assertThat(result).as(cell).isInstanceOf(ChangeResult.Refused.class);
                Refusal refusal = ((ChangeResult.Refused) result).refusal();
                RefusalKind kind = switch (expected) {
                    case ILLEGAL -> RefusalKind.ILLEGAL_TRANSITION;
                    case NOT_PERMITTED -> RefusalKind.ACTOR_NOT_PERMITTED;
                    case NEEDS_FORCE -> RefusalKind.NEEDS_FORCE;
                    default -> RefusalKind.GUARD_FAILED;
                };
                assertThat(refusal.kind()).as(cell + ": " + refusal.message()).isEqualTo(kind);
                assertThat(refusal.current()).isEqualTo(from);
                assertThat(refusal.requested()).isEqualTo(to);
                assertThat(refusal.message()).contains(from.wireName()).contains(to.wireName());
                assertThat(refusal.allowedNext()).doesNotContain(from);
                // Never "refused, but allowed next": the state just refused is not offered back.
                assertThat(refusal.allowedNext()).as(cell + " offers what it refused").doesNotContain(to);
                assertThat(refusal.message()).as("the model leaves flag names to the CLI").doesNotContain("--").doesNotStartWith("refused");
                for (WorkerState allowed : refusal.allowedNext()) {
                    assertThat(expected(from, allowed, actor)).as(cell + " lists " + allowed).isEqualTo(Outcome.APPLIED);
                }
            }
        }
    }

    /** One worker at generation 2 in a configuration at version 7, in the given state. */
    private record Fixture(NodesConfiguration config, NodeConfig node) {

        static Fixture nodeIn(WorkerState state) {
            NodeConfig node = new NodeConfig("worker-a", new GenerationalNodeId(NodeId.of(1), 2),
                    NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081"), Set.of(Role.WORKER, Role.ADMIN),
                    Location.DEFAULT, state, new StateChange(NOW.minusSeconds(60), Actor.OPERATOR, "setup", Version.of(5), "req-setup"), "inc", null);
            return new Fixture(new NodesConfiguration(Version.of(7), List.of(node), List.of()), node);
        }

        NodesChange.TransitionWorker request(WorkerState to, Actor actor, boolean force, GuardFacts facts) {
            return new NodesChange.TransitionWorker(node.id(), to, actor, "test", force, facts, "req-" + to + actor + force, NOW);
        }

        GuardFacts factsHolding() {
            return new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, new GuardFacts.EmptiedEvidence(0, 0, Version.of(7)));
        }

        GuardFacts factsFailing() {
            return new GuardFacts(false,
                    new GuardFacts.DrainPrecheck(List.of(new BlockingPartition(PartitionId.of(3), "not-enough-candidates", "needs 3, has 2"))),
                    new GuardFacts.EmptiedEvidence(2, 1, Version.of(7)));
        }
    }
}
