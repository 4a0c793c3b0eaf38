package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The maintenance intent's rules in {@link NodesConfiguration#apply}: who may begin one and when, how it ends,
 * and how it combines with the worker states — intents only escalate.
 */
class MaintenanceIntentTest {

    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    private static final Instant IN_AN_HOUR = NOW.plus(Duration.ofHours(1));
    private static final BlockingPartition AT_RISK = new BlockingPartition(PartitionId.of(4), "would-lose-majority", "would keep 1 of its 3 replicas");

    private static NodesConfiguration clusterWith(WorkerState state) {
        NodeConfig node = new NodeConfig("worker-a", new GenerationalNodeId(NodeId.of(1), 2),
                NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081"), Set.of(Role.WORKER),
                Location.DEFAULT, state, new StateChange(NOW.minusSeconds(60), Actor.OPERATOR, "setup", Version.of(5), "req-setup"), "inc", null);
        return new NodesConfiguration(Version.of(7), List.of(node), List.of());
    }

    private static NodesChange.StartMaintenance start(String requestId, Instant until, List<BlockingPartition> blocking, boolean force) {
        return new NodesChange.StartMaintenance(new GenerationalNodeId(NodeId.of(1), 2), Actor.OPERATOR, "kernel patch", until, force, blocking,
                requestId, NOW);
    }

    private static NodesConfiguration applied(NodesConfiguration config, NodesChange change) {
        ChangeResult result = config.apply(change);
        assertThat(result).as("%s", result).isInstanceOf(ChangeResult.Changed.class);
        return ((ChangeResult.Changed) result).next();
    }

    private static Refusal refused(NodesConfiguration config, NodesChange change) {
        ChangeResult result = config.apply(change);
        assertThat(result).as("%s", result).isInstanceOf(ChangeResult.Refused.class);
        return ((ChangeResult.Refused) result).refusal();
    }

    private static NodeConfig node(NodesConfiguration config) {
        return config.find(NodeId.of(1)).orElseThrow();
    }

    private static NodesChange.TransitionWorker transition(WorkerState to, boolean force, GuardFacts facts, Instant at) {
        return new NodesChange.TransitionWorker(new GenerationalNodeId(NodeId.of(1), 2), to, Actor.OPERATOR, "test", force, facts, "t-" + to, at);
    }

    @Nested
    class Beginning {

        @Test
        void anActiveWorkerGoesIntoMaintenanceWithAnEvent() {
            ChangeResult.Changed changed = (ChangeResult.Changed) clusterWith(WorkerState.ACTIVE).apply(start("m1", IN_AN_HOUR, List.of(), false));

            Maintenance intent = changed.node().maintenance();
            assertThat(intent).isEqualTo(new Maintenance("kernel patch", Actor.OPERATOR, NOW, IN_AN_HOUR, 2, "m1", null));
            assertThat(changed.node().inMaintenanceAt(NOW)).isTrue();
            assertThat(changed.node().workerState()).isEqualTo(WorkerState.ACTIVE);
            assertThat(changed.next().version()).isEqualTo(Version.of(8));
            assertThat(changed.event().kind()).isEqualTo(EventKind.MAINTENANCE_STARTED);
            assertThat(changed.event().message()).isEqualTo("N1 (worker-a) in maintenance until 2026-11-28T11:00:00Z by operator: kernel patch");
        }

        @Test
        void aRetryFindsItsOwnWrite() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            assertThat(config.apply(start("m1", IN_AN_HOUR, List.of(), false))).isEqualTo(new ChangeResult.Unchanged(node(config), true));
        }

        @Test
        void askingAgainExtendsTheIntentAndKeepsItsStart() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            NodesChange.StartMaintenance later = new NodesChange.StartMaintenance(new GenerationalNodeId(NodeId.of(1), 2), Actor.OPERATOR,
                    "slower than planned", NOW.plus(Duration.ofHours(3)), false, List.of(), "m2", NOW.plus(Duration.ofMinutes(50)));

            ChangeResult.Changed changed = (ChangeResult.Changed) config.apply(later);

            assertThat(changed.node().maintenance().since()).isEqualTo(NOW);
            assertThat(changed.node().maintenance().until()).isEqualTo(NOW.plus(Duration.ofHours(3)));
            assertThat(changed.event().message()).contains("stays in maintenance, now until 2026-11-28T13:00:00Z");
        }

        @Test
        void onlyAnActiveWorkerMayBegin() {
            for (WorkerState state : List.of(WorkerState.PROVISIONING, WorkerState.DRAINING, WorkerState.DISABLED)) {
                Refusal refusal = refused(clusterWith(state), start("m1", IN_AN_HOUR, List.of(), false));
                assertThat(refusal.kind()).as("%s", state).isEqualTo(RefusalKind.GUARD_FAILED);
                assertThat(refusal.message()).as("%s", state).startsWith("only an active worker goes into maintenance; N1 (worker-a): it is " + state);
            }
        }

        @Test
        void theTimeLimitMustBeInTheFutureAndAtMostAWeek() {
            NodesConfiguration config = clusterWith(WorkerState.ACTIVE);
            assertThat(refused(config, start("m1", NOW, List.of(), false)).kind()).isEqualTo(RefusalKind.INVALID_REQUEST);
            Refusal tooLong = refused(config, start("m1", NOW.plus(Duration.ofDays(8)), List.of(), false));
            assertThat(tooLong.message()).isEqualTo("a maintenance lasts at most 7 days; a node away for longer should be drained");
        }

        @Test
        void thePrecheckMustHaveRunAndPassedUnlessForced() {
            NodesConfiguration config = clusterWith(WorkerState.ACTIVE);
            assertThat(refused(config, start("m1", IN_AN_HOUR, null, true)).message()).isEqualTo("the maintenance pre-check was not run");

            Refusal refusal = refused(config, start("m1", IN_AN_HOUR, List.of(AT_RISK), false));
            assertThat(refusal.blocking()).containsExactly(AT_RISK);
            assertThat(refusal.message()).startsWith("N1 (worker-a) cannot go into maintenance now: 1 partition would be at risk while it is away: P4")
                    .endsWith("; forcing it does it anyway");

            ChangeResult.Changed forced = (ChangeResult.Changed) config.apply(start("m1", IN_AN_HOUR, List.of(AT_RISK), true));
            assertThat(forced.event().message()).contains("(forced past the pre-check)");
        }

        @Test
        void aRequestForAnEarlierIncarnationIsStale() {
            NodesChange.StartMaintenance stale = new NodesChange.StartMaintenance(new GenerationalNodeId(NodeId.of(1), 1), Actor.OPERATOR, "",
                    IN_AN_HOUR, false, List.of(), "m1", NOW);
            assertThat(refused(clusterWith(WorkerState.ACTIVE), stale).kind()).isEqualTo(RefusalKind.STALE_GENERATION);
        }
    }

    @Nested
    class Ending {

        @Test
        void anOperatorEndsItAndEndingNothingIsANoOp() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            NodesChange.EndMaintenance end = new NodesChange.EndMaintenance(NodeId.of(1), Actor.OPERATOR, Maintenance.EndCause.ENDED_BY_OPERATOR, null, "",
                    NOW.plusSeconds(90));

            ChangeResult.Changed changed = (ChangeResult.Changed) config.apply(end);

            assertThat(changed.node().inMaintenanceAt(NOW.plusSeconds(90))).isFalse();
            assertThat(changed.node().maintenance().end()).isEqualTo(new Maintenance.End(NOW.plusSeconds(90), Maintenance.EndCause.ENDED_BY_OPERATOR, Actor.OPERATOR));
            assertThat(changed.event().kind()).isEqualTo(EventKind.MAINTENANCE_ENDED);
            assertThat(changed.event().numbers()).containsEntry("durationMillis", 90_000L);
            assertThat(changed.next().apply(end)).isInstanceOf(ChangeResult.Unchanged.class);
            assertThat(clusterWith(WorkerState.ACTIVE).apply(end)).isInstanceOf(ChangeResult.Unchanged.class);
        }

        @Test
        void theControllerEndsOnlyTheIntentItJudged() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            NodesChange.EndMaintenance judgedAnOlderOne = new NodesChange.EndMaintenance(NodeId.of(1), Actor.CONTROLLER, Maintenance.EndCause.CAUGHT_UP,
                    "m0", "", NOW.plusSeconds(5));
            assertThat(config.apply(judgedAnOlderOne)).isInstanceOf(ChangeResult.Unchanged.class);
        }

        @Test
        void anIntentPastItsTimeIsOverBeforeAnyoneRecordsItAndItsEndIsItsTimeLimit() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            assertThat(node(config).inMaintenanceAt(IN_AN_HOUR.minusMillis(1))).isTrue();
            assertThat(node(config).inMaintenanceAt(IN_AN_HOUR)).isFalse();

            ChangeResult.Changed expired = (ChangeResult.Changed) config.apply(new NodesChange.EndMaintenance(NodeId.of(1), Actor.CONTROLLER,
                    Maintenance.EndCause.EXPIRED, "m1", "the node is still away", IN_AN_HOUR.plusSeconds(3)));

            assertThat(expired.node().maintenance().endsAt()).isEqualTo(IN_AN_HOUR);
            assertThat(expired.event().kind()).isEqualTo(EventKind.MAINTENANCE_EXPIRED);
            assertThat(expired.event().message()).isEqualTo("maintenance of N1 (worker-a) ran out at 2026-11-28T11:00:00Z; the node is still away");
        }

        @Test
        void aRestartKeepsTheIntent() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            NodesChange.RegisterNode restart = new NodesChange.RegisterNode("worker-a", NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081"),
                    Set.of(Role.WORKER), Location.DEFAULT, 2, "inc-2", NOW.plusSeconds(30));

            NodeConfig back = ((ChangeResult.Changed) config.apply(restart)).node();

            assertThat(back.id().generation()).isEqualTo(3);
            assertThat(back.maintenance()).isEqualTo(node(config).maintenance());
        }
    }

    /** Intents only escalate: each combination of a maintenance and a state change, as docs/architecture.md lists them. */
    @Nested
    class WithTheWorkerStates {

        @Test
        void aDrainReplacesTheMaintenanceAndCancellingTheDrainDoesNotBringItBack() {
            NodesConfiguration inMaintenance = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));

            ChangeResult.Changed drained = (ChangeResult.Changed) inMaintenance.apply(transition(WorkerState.DRAINING, false,
                    GuardFacts.alive(true).withDrainPrecheck(GuardFacts.DrainPrecheck.PASSED), NOW.plusSeconds(10)));
            assertThat(drained.node().maintenance().end().cause()).isEqualTo(Maintenance.EndCause.REPLACED_BY_DRAIN);
            assertThat(drained.event().message()).endsWith("; its maintenance ends (replaced-by-drain)");

            NodesConfiguration cancelled = applied(drained.next(), transition(WorkerState.ACTIVE, false, GuardFacts.alive(true), NOW.plusSeconds(20)));
            assertThat(node(cancelled).workerState()).isEqualTo(WorkerState.ACTIVE);
            assertThat(node(cancelled).inMaintenanceAt(NOW.plusSeconds(20))).isFalse();
        }

        @Test
        void aForcedDisableReplacesItToo() {
            NodesConfiguration inMaintenance = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            NodesConfiguration disabled = applied(inMaintenance, transition(WorkerState.DISABLED, true, GuardFacts.alive(true), NOW.plusSeconds(10)));
            assertThat(node(disabled).maintenance().end().cause()).isEqualTo(Maintenance.EndCause.REPLACED_BY_STATE_CHANGE);
        }

        @Test
        void anExpiredMaintenanceIsNotEndedAgainByADrainAndStaysExpiredAfterItsCancel() {
            NodesConfiguration config = applied(clusterWith(WorkerState.ACTIVE), start("m1", IN_AN_HOUR, List.of(), false));
            config = applied(config, new NodesChange.EndMaintenance(NodeId.of(1), Actor.CONTROLLER, Maintenance.EndCause.EXPIRED, "m1", "", IN_AN_HOUR));
            Instant later = IN_AN_HOUR.plusSeconds(60);

            config = applied(config, transition(WorkerState.DRAINING, false, GuardFacts.alive(true).withDrainPrecheck(GuardFacts.DrainPrecheck.PASSED), later));
            assertThat(node(config).maintenance().end().cause()).isEqualTo(Maintenance.EndCause.EXPIRED);
            config = applied(config, transition(WorkerState.ACTIVE, false, GuardFacts.alive(true), later.plusSeconds(1)));
            assertThat(node(config).inMaintenanceAt(later.plusSeconds(1))).isFalse();
        }

        @Test
        void aDrainingWorkerCannotGoIntoMaintenance() {
            NodesConfiguration draining = applied(clusterWith(WorkerState.ACTIVE),
                    transition(WorkerState.DRAINING, false, GuardFacts.alive(true).withDrainPrecheck(GuardFacts.DrainPrecheck.PASSED), NOW));
            assertThat(refused(draining, start("m1", IN_AN_HOUR, List.of(), false)).message()).contains("it is draining");
        }
    }
}
