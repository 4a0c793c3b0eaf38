package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import dev.sluice.raft.MoveFailure;
import dev.sluice.raft.RatisFailures;
import dev.sluice.wire.ReplicaRole;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The move protocol's decisions, step by step, against hand-made observations: every step kind and what leads to it. */
class MoveStepperTest {

    private static final PartitionId P = PartitionId.of(7);
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);
    private static final NodeId N4 = NodeId.of(4);
    private static final NodeId N5 = NodeId.of(5);
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    /** N1 leaves, N4 joins. */
    private static final Placement MOVING = Placement.stable(P, List.of(N1, N2, N3), N1, Version.MIN).withNext(List.of(N2, N3, N4), Version.MIN, NOW);

    private static final Set<MoveStep.Kind> SEEN = EnumSet.noneOf(MoveStep.Kind.class);

    private final MoveStepper stepper = new MoveStepper(ControllerConfig.DEFAULTS);

    /** A hand-made observation: who hosts, who leads, who is healthy. */
    private static final class Seen implements Observed {
        final Set<NodeId> healthy = new HashSet<>(Set.of(N1, N2, N3, N4, N5));
        final Set<NodeId> hosting = new HashSet<>(Set.of(N1, N2, N3, N4));
        final Map<NodeId, Long> leaderships = new HashMap<>();
        NodeId leader = N2;
        List<NodeId> configuration = List.of(N1, N2, N3);

        @Override
        public boolean healthy(NodeId node) {
            return healthy.contains(node);
        }

        @Override
        public boolean hosts(NodeId node, PartitionId partition) {
            return hosting.contains(node);
        }

        @Override
        public Optional<NodeId> leader(PartitionId partition) {
            return Optional.ofNullable(leader);
        }

        @Override
        public Optional<ReplicaView> view(NodeId node, PartitionId partition) {
            return hosting.contains(node) ? Optional.of(new ReplicaView(partition, node.equals(leader) ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER,
                    leader, 3, configuration, false, 10)) : Optional.empty();
        }

        @Override
        public long leaderships(NodeId node) {
            return leaderships.getOrDefault(node, 0L);
        }
    }

    private MoveStep next(Placement placement, MoveMemory memory, Seen seen) {
        MoveStep step = stepper.next(placement, memory, seen, NOW);
        SEEN.add(step.kind());
        return step;
    }

    private static MoveMemory fresh() {
        return MoveMemory.fresh(MOVING.next(), NOW.minusSeconds(1));
    }

    @AfterAll
    static void everyKindIsReachable() {
        assertThat(SEEN).as("step kinds some test reached").isEqualTo(EnumSet.allOf(MoveStep.Kind.class));
    }

    @Test
    void aCallUnderWayIsWaitedFor() {
        MoveStep action = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        MoveMemory memory = fresh().started(new MoveMemory.Call(1, action, N2, NOW, NOW.plusSeconds(120)));
        assertThat(next(MOVING, memory, new Seen())).isEqualTo(new MoveStep.InFlight(action, NOW, NOW.plusSeconds(120)))
                .satisfies(step -> assertThat(step.stallReason()).contains(StallReason.CATCH_UP_NOT_ADVANCING));
    }

    @Test
    void aFailureBacksOffUntilItsRetryTimeAndNamesItsStallReason() {
        MoveStep action = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        MoveMemory memory = fresh().started(new MoveMemory.Call(1, action, N2, NOW, NOW.plusSeconds(120)))
                .failed(1, new MoveFailure.LeaderNotReady(N2, "not ready"), NOW, NOW.plusMillis(200), N2, null, null);
        MoveStep step = next(MOVING, memory, new Seen());
        assertThat(step).isInstanceOf(MoveStep.BackOff.class);
        assertThat(step.stallReason()).contains(StallReason.LEADER_NOT_READY);
        // Once the back-off is over the stepper decides afresh.
        assertThat(stepper.next(MOVING, memory, new Seen(), NOW.plusSeconds(1))).isInstanceOf(MoveStep.ChangeConfiguration.class);
    }

    @Test
    void aConfirmedConfigurationCompletesAtOnceWithoutAFreshReport() {
        MoveStep action = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        MoveMemory memory = fresh().started(new MoveMemory.Call(1, action, N2, NOW, NOW.plusSeconds(120))).succeeded(1, Set.of(N2, N3, N4), NOW);
        Seen stale = new Seen();
        stale.configuration = List.of(N1, N2, N3);
        assertThat(next(MOVING, memory, stale)).isEqualTo(new MoveStep.Complete(N2));
    }

    @Test
    void aJoinerThatDoesNotHostTheGroupIsWaitedForAndNamed() {
        Seen seen = new Seen();
        seen.hosting.remove(N4);
        MoveStep step = next(MOVING, fresh(), seen);
        assertThat(step).isEqualTo(new MoveStep.AwaitJoiner(N4, true));
        assertThat(step.stallReason()).contains(StallReason.JOINER_NOT_HOSTING);
        seen.healthy.remove(N4);
        assertThat(next(MOVING, fresh(), seen).stallReason()).contains(StallReason.WORKER_NOT_REPORTING);
    }

    /**
     * A change in flight that stages a member which stopped answering, with no progress for the stall period:
     * Ratis would keep it in progress for as long as clients write, so the leader steps down. Before the stall
     * period, or while the staged member answers, the call is waited for.
     */
    @Test
    void aChangeStagingAMemberThatStoppedAnsweringEndsWithTheLeaderSteppingDown() {
        MoveStep action = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        Duration stall = ControllerConfig.DEFAULTS.stallAfter();
        MoveMemory memory = MoveMemory.fresh(MOVING.next(), NOW.minus(stall)).started(new MoveMemory.Call(1, action, N2, NOW.minus(stall), NOW.plusSeconds(100)));
        Seen seen = new Seen();
        assertThat(next(MOVING, memory, seen)).as("the staged member answers").isInstanceOf(MoveStep.InFlight.class);
        seen.healthy.remove(N4);
        MoveStep step = next(MOVING, memory, seen);
        assertThat(step).isInstanceOfSatisfying(MoveStep.StepDown.class, down -> assertThat(down.leader()).isEqualTo(N2));
        assertThat(step.isAction()).isTrue();
        assertThat(stepper.next(MOVING, memory.progressed(NOW.minusSeconds(1)), seen, NOW)).as("progress within the stall period")
                .isInstanceOf(MoveStep.InFlight.class);
        assertThat(stepper.deadline(step)).isEqualTo(ControllerConfig.DEFAULTS.leadershipTransferTimeout());
    }

    /**
     * Changes refused as in progress, no call of this controller's in flight, and no progress for a whole
     * reconfiguration timeout: a change nobody tracks is stuck, and the member that refused steps down. Sooner, the
     * refusal is only retried: a slow catch-up is left alone.
     */
    @Test
    void changesRefusedAsInProgressForAWholeReconfigurationTimeoutEndWithTheMemberThatRefusedSteppingDown() {
        MoveStep action = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        Duration timeout = ControllerConfig.DEFAULTS.reconfigurationTimeout();
        MoveMemory refused = MoveMemory.fresh(MOVING.next(), NOW.minus(timeout)).started(new MoveMemory.Call(1, action, N2, NOW.minus(timeout), NOW))
                .failed(1, new MoveFailure.ReconfigurationInProgress(N2), NOW, NOW.minusMillis(1), null, null, null);
        Seen seen = new Seen();
        assertThat(next(MOVING, refused, seen)).isInstanceOfSatisfying(MoveStep.StepDown.class, down -> assertThat(down.leader()).isEqualTo(N2));
        assertThat(stepper.next(MOVING, refused.progressed(NOW.minusSeconds(60)), seen, NOW)).as("progress within the timeout")
                .isInstanceOf(MoveStep.ChangeConfiguration.class);
        // The member that refused steps down, also while the status polls still name another leader (a stale one).
        MoveMemory refusedByAnother = MoveMemory.fresh(MOVING.next(), NOW.minus(timeout))
                .started(new MoveMemory.Call(2, action, N2, NOW.minus(timeout), NOW))
                .failed(2, new MoveFailure.ReconfigurationInProgress(N3), NOW, NOW.minusMillis(1), null, null, null);
        assertThat(seen.leader).isEqualTo(N2);
        assertThat(next(MOVING, refusedByAnother, seen)).isInstanceOfSatisfying(MoveStep.StepDown.class, down -> assertThat(down.leader()).isEqualTo(N3));
    }

    @Test
    void aLeaderlessGroupIsWaitedFor() {
        Seen seen = new Seen();
        seen.leader = null;
        MoveStep step = next(MOVING, fresh(), seen);
        assertThat(step).isEqualTo(new MoveStep.AwaitLeader());
        assertThat(step.stallReason()).contains(StallReason.LEADERLESS);
    }

    @Test
    void aLeavingLeaderShedsLeadershipToAHealthyStayingMemberThatLeadsTheFewest() {
        Seen seen = new Seen();
        seen.leader = N1;
        seen.leaderships.put(N2, 5L);
        seen.leaderships.put(N3, 1L);
        assertThat(next(MOVING, fresh(), seen)).isEqualTo(new MoveStep.ShedLeadership(N1, N3, "leader leaves the replica set"));
        // An unhealthy member is never the target, whatever it leads.
        seen.healthy.remove(N3);
        assertThat(next(MOVING, fresh(), seen)).isEqualTo(new MoveStep.ShedLeadership(N1, N2, "leader leaves the replica set"));
    }

    /**
     * No member stays when every member is replaced: once the joiners are voters, leadership goes to one of
     * them, so the leg that drops the old members can commit (found by the simulation at 50 × 1,000, where
     * such a move retried leader-leaving for ever). Before the joiners are voters, the legs that add them
     * keep the leader and go ahead.
     */
    @Test
    void whenEveryMemberIsReplacedLeadershipGoesToAJoinerThatIsAlreadyAVoter() {
        NodeId n6 = NodeId.of(6);
        Placement everyone = Placement.stable(P, List.of(N1, N2, N3), N1, Version.MIN).withNext(List.of(N4, N5, n6), Version.MIN, NOW);
        Seen seen = new Seen();
        seen.leader = N1;
        seen.healthy.add(n6);
        seen.hosting.addAll(Set.of(N5, n6));
        seen.leaderships.put(N4, 3L);
        seen.configuration = List.of(N1, N2, N3);
        MoveMemory memory = MoveMemory.fresh(everyone.next(), NOW.minusSeconds(1));
        assertThat(next(everyone, memory, seen)).isInstanceOf(MoveStep.ChangeConfiguration.class);

        seen.configuration = List.of(N1, N2, N3, N4, N5, n6);
        assertThat(next(everyone, memory, seen)).isEqualTo(new MoveStep.ShedLeadership(N1, N5, "leader leaves the replica set"));
    }

    @Test
    void aTargetATransferFailedTowardsIsNotTriedAgain() {
        Seen seen = new Seen();
        seen.leader = N1;
        MoveStep shed = new MoveStep.ShedLeadership(N1, N2, "leader leaves the replica set");
        MoveMemory memory = fresh().started(new MoveMemory.Call(1, shed, N1, NOW, NOW.plusSeconds(4)))
                .failed(1, new MoveFailure.Timeout("transfer", Duration.ofSeconds(4)), NOW, NOW, null, N2, NOW.plusSeconds(10));
        assertThat(next(MOVING, memory, seen)).isEqualTo(new MoveStep.ShedLeadership(N1, N3, "leader leaves the replica set"));
        // With every staying member ruled out, the leader commits its own removal.
        MoveMemory both = memory.started(new MoveMemory.Call(2, shed, N1, NOW, NOW.plusSeconds(4)))
                .failed(2, new MoveFailure.Timeout("transfer", Duration.ofSeconds(4)), NOW, NOW, null, N3, NOW.plusSeconds(10));
        assertThat(next(MOVING, both, seen)).isInstanceOf(MoveStep.ChangeConfiguration.class);
    }

    @Test
    void changesThatKeepFailingUnderOneLeaderMoveLeadershipAway() {
        MoveStep change = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        MoveMemory memory = fresh();
        for (int call = 1; call <= MoveStepper.KICK_LEADER_AFTER_FAILURES; call++) {
            memory = memory.started(new MoveMemory.Call(call, change, N2, NOW, NOW.plusSeconds(120)))
                    .failed(call, new MoveFailure.Unexpected("refused"), NOW, NOW, N2, null, null);
        }
        assertThat(next(MOVING, memory, new Seen())).isEqualTo(new MoveStep.ShedLeadership(N2, N3, "configuration change keeps failing under this leader"));
    }

    @Test
    void replacingOneOfThreeChangesTheConfigurationDirectly() {
        assertThat(next(MOVING, fresh(), new Seen())).isEqualTo(new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true));
    }

    @Test
    void replacingTwoOfThreeGoesThroughTheUnionFirst() {
        Placement twoLeave = Placement.stable(P, List.of(N1, N2, N3), N3, Version.MIN).withNext(List.of(N3, N4, N5), Version.MIN, NOW);
        Seen seen = new Seen();
        seen.leader = N3;
        seen.hosting.add(N5);
        assertThat(next(twoLeave, MoveMemory.fresh(twoLeave.next(), NOW), seen))
                .isEqualTo(new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N1, N2, N3, N4, N5), false));
        // The union confirmed, the next leg drops the leaving members, without waiting for a new report.
        MoveStep union = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N1, N2, N3, N4, N5), false);
        MoveMemory afterUnion = MoveMemory.fresh(twoLeave.next(), NOW).started(new MoveMemory.Call(1, union, N3, NOW, NOW.plusSeconds(120)))
                .succeeded(1, Set.of(N1, N2, N3, N4, N5), NOW);
        assertThat(next(twoLeave, afterUnion, seen)).isEqualTo(new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3, N4, N5), Set.of(N3, N4, N5), true));
    }

    @Test
    void replacingEveryMemberAddsTheJoinersInMinoritiesThenDropsTheOldOnes() {
        Set<NodeId> old = Set.of(N1, N2, N3);
        NodeId n6 = NodeId.of(6);
        Set<NodeId> wanted = Set.of(N4, N5, n6);
        Set<NodeId> first = MoveStepper.configurationStep(old, wanted);
        assertThat(first).containsExactlyInAnyOrder(N1, N2, N3, N4, N5);
        Set<NodeId> second = MoveStepper.configurationStep(first, wanted);
        assertThat(second).containsExactlyInAnyOrder(N4, N5, n6);
        // Every leg keeps the members it adds below half of its configuration, as Raft requires.
        assertMinorityAdded(old, first);
        assertMinorityAdded(first, second);
    }

    private static void assertMinorityAdded(Set<NodeId> from, Set<NodeId> to) {
        long added = to.stream().filter(n -> !from.contains(n)).count();
        assertThat(added * 2).as("%s → %s", from, to).isLessThan(to.size());
    }

    @Test
    void aReportedButUnconfirmedConfigurationIsConfirmed() {
        Seen seen = new Seen();
        seen.configuration = List.of(N2, N3, N4);
        assertThat(next(MOVING, fresh(), seen)).isEqualTo(new MoveStep.Confirm(Set.of(N2, N3, N4)));
    }

    /** Seen in a rebalance: an election after the transfer chose the old leader again; it was reported as a failed move. */
    @Test
    void aTransferThatAnotherMemberWonIsARoutineRetryNotAFailure() {
        MoveFailure failure = RatisFailures.classify(new TransferLeadershipException(
                "N1@group-8F648A44E0A1: Failed to transfer leadership to N4 (the current leader is N1): DIFFERENT_LEADER"), N1, "transfer", Duration.ofSeconds(4));
        assertThat(failure).isInstanceOf(MoveFailure.AnotherLeaderElected.class);
        assertThat(MoveStepper.routine(failure)).isTrue();
        assertThat(MoveStepper.blamesLeader(failure)).isFalse();
    }

    /**
     * Ratis's words for a transfer it left pending (the message {@code TransferLeadership.PendingRequest} builds
     * when a transfer fails before it starts) and for a transfer refused because another is pending.
     */
    @Test
    void aTransferRatisLeftPendingAndOneRefusedForAPendingOneAreTold() {
        MoveFailure leftPending = RatisFailures.classify(new TransferLeadershipException("N1@group-8F648A44E0A1: Failed to transfer leadership to N4"
                + " (the current leader is N1): COMPLETED_EXCEPTIONALLY: java.util.concurrent.CompletionException: Failed to sendStartLeaderElection"
                + " to follower N4"), N1, "transfer", Duration.ofSeconds(4));
        assertThat(leftPending).isEqualTo(new MoveFailure.TransferLeftPending(N1, "N1@group-8F648A44E0A1: Failed to transfer leadership to N4"
                + " (the current leader is N1): COMPLETED_EXCEPTIONALLY: java.util.concurrent.CompletionException: Failed to sendStartLeaderElection"
                + " to follower N4"));
        assertThat(RatisFailures.classify(new TransferLeadershipException("N1@group-8F648A44E0A1: Failed to transfer leadership to N4"
                + " (the current leader is N1): NULL_LOG_APPENDER"), N1, "transfer", Duration.ofSeconds(4))).isInstanceOf(MoveFailure.TransferLeftPending.class);
        assertThat(RatisFailures.leavesTransferPending(new java.util.concurrent.CompletionException(new TransferLeadershipException(
                "N1@group-1: Failed to transfer leadership to N4 (the current leader is N1): NULL_FOLLOWER")))).isTrue();
        MoveFailure pending = RatisFailures.classify(new TransferLeadershipException("N1@group-8F648A44E0A1Failed to transfer leadership to N5:"
                + " a previous TransferLeadershipRequest:client-1A2B->N1@group-8F648A44E0A1, cid=1599, seq=0, RW, newLeader=N4 exists"), N1, "transfer",
                Duration.ofSeconds(4));
        assertThat(pending).isInstanceOf(MoveFailure.TransferPending.class);
        assertThat(RatisFailures.leavesTransferPending(new TransferLeadershipException("N1@group-1: Failed to transfer leadership to N4"
                + " (the current leader is N1): TIMED_OUT(4s)"))).isFalse();
        assertThat(MoveStepper.routine(pending)).isTrue();
        assertThat(MoveStepper.routine(leftPending)).as("operators hear of a leader refusing writes").isFalse();
        assertThat(StallReason.of(leftPending)).isEqualTo(StallReason.LEADER_NOT_READY);
    }

    /**
     * A leader that still replicates to the member a change adds back (chaos finding 8): it steps down at once, back-off
     * or not, and the change is not asked of it again; once another member leads, the change goes ahead.
     */
    @Test
    void aLeaderStillReplicatingToTheJoinerStepsDownBeforeTheChange() {
        MoveStep.ChangeConfiguration change = new MoveStep.ChangeConfiguration(Set.of(N1, N2, N3), Set.of(N2, N3, N4), true);
        MoveMemory refused = fresh().started(new MoveMemory.Call(1, change, N2, NOW.minusMillis(10), NOW.plusSeconds(60)))
                .failed(1, new MoveFailure.StaleFollower(N2, N4), NOW, NOW.plusSeconds(5), null, null, null);
        Seen seen = new Seen();
        assertThat(next(MOVING, refused, seen)).isInstanceOfSatisfying(MoveStep.StepDown.class, down -> {
            assertThat(down.leader()).isEqualTo(N2);
            assertThat(down.why()).contains("still replicates to N4");
        });
        seen.leader = N3;
        assertThat(stepper.next(MOVING, refused, seen, NOW.plusSeconds(5))).as("another member leads by now")
                .isInstanceOf(MoveStep.ChangeConfiguration.class);
        assertThat(MoveStepper.routine(new MoveFailure.StaleFollower(N2, N4))).as("reported, not routine").isFalse();
    }

    /**
     * A transfer left pending: its leader steps down at once, back-off or not, whether the partition moves or
     * not. Transfers refused for a pending one: only once that has lasted twice a transfer's timeout, which no
     * transfer Sluice asks for outlasts; sooner, they are retried.
     */
    @Test
    void aLeaderHoldingATransferLeftPendingStepsDown() {
        MoveStep.ShedLeadership shed = new MoveStep.ShedLeadership(N1, N2, "leader leaves the replica set");
        MoveMemory leftPending = fresh().started(new MoveMemory.Call(1, shed, N1, NOW.minusMillis(10), NOW.plusSeconds(4)))
                .failed(1, new MoveFailure.TransferLeftPending(N1, "COMPLETED_EXCEPTIONALLY"), NOW, NOW.plusSeconds(1), null, N2, NOW.plusSeconds(10));
        Seen seen = new Seen();
        seen.leader = N1;
        assertThat(next(MOVING, leftPending, seen)).isInstanceOfSatisfying(MoveStep.StepDown.class, down -> assertThat(down.leader()).isEqualTo(N1));
        assertThat(stepper.releaseTransfer(MoveMemory.fresh(List.of(), NOW).started(new MoveMemory.Call(2, shed, N1, NOW, NOW.plusSeconds(4)))
                .failed(2, new MoveFailure.TransferLeftPending(N1, "NULL_LOG_APPENDER"), NOW, NOW.plusSeconds(1), null, N2, NOW.plusSeconds(10)), NOW))
                .as("a partition that is not moving").isPresent();
        assertThat(stepper.releaseTransfer(leftPending.started(new MoveMemory.Call(3, new MoveStep.StepDown(N1, "x"), N1, NOW, NOW.plusSeconds(4))), NOW))
                .as("while its step-down is under way").isEmpty();

        Duration bound = ControllerConfig.DEFAULTS.leadershipTransferTimeout().multipliedBy(2);
        MoveMemory refused = fresh();
        for (int call = 1; call <= 3; call++) {
            refused = refused.started(new MoveMemory.Call(call, shed, N1, NOW, NOW.plusSeconds(4)))
                    .failed(call, new MoveFailure.TransferPending(N1, "a previous TransferLeadershipRequest exists"), NOW.minus(bound).plusSeconds(call - 1),
                            NOW, null, null, null);
        }
        assertThat(refused.failingSince()).isEqualTo(NOW.minus(bound));
        assertThat(stepper.releaseTransfer(refused, NOW)).isPresent();
        assertThat(stepper.releaseTransfer(refused, NOW.minusMillis(1))).as("within twice a transfer's timeout").isEmpty();
    }

    @Test
    void routineFailuresBackOffBrieflyAndOthersDouble() {
        assertThat(MoveStepper.routine(new MoveFailure.ReconfigurationInProgress(N2))).isTrue();
        assertThat(MoveStepper.routine(new MoveFailure.MemberNotHosting(N4))).isTrue();
        assertThat(MoveStepper.routine(new MoveFailure.Timeout("x", Duration.ofSeconds(1)))).isFalse();
        assertThat(MoveStepper.routine(new MoveFailure.Unexpected("x"))).isFalse();
        MoveFailure unexpected = new MoveFailure.Unexpected("x");
        assertThat(stepper.backoff(unexpected, 3)).isGreaterThan(stepper.backoff(unexpected, 1));
        assertThat(stepper.backoff(new MoveFailure.NoLeader(List.of(N1)), 9)).isEqualTo(ControllerConfig.DEFAULTS.busyPassInterval().multipliedBy(2));
    }
}
