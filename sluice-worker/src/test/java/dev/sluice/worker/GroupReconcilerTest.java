package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.Actor;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.RemovalStatus;
import dev.sluice.worker.GroupHost.GroupState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * The reconciler's rules against a fake host, a hand-driven clock and an executor that runs a removal call
 * only when the test says so — a call the test does not run is a call stuck in Ratis. No threads, no sleeps.
 */
class GroupReconcilerTest {

    static final Instant START = Instant.parse("2026-11-28T04:00:00Z");

    final FakeGroupHost host = new FakeGroupHost();
    final ManualClock clock = new ManualClock(START);
    final ManualExecutor calls = new ManualExecutor();
    final List<Duration> passRequests = new ArrayList<>();
    final GroupReconciler reconciler = new GroupReconciler("test", host, clock, calls, Runnable::run, passRequests::add);

    static PartitionId p(int value) {
        return PartitionId.of(value);
    }

    static NodeConfig node(int id) {
        return new NodeConfig("worker-" + id, new GenerationalNodeId(NodeId.of(id), 1), NodeAddresses.of("127.0.0.1:" + (9000 + id), "http://127.0.0.1:1"),
                Set.of(Role.WORKER), Location.DEFAULT, WorkerState.ACTIVE, new StateChange(START, Actor.OPERATOR, "test", Version.MIN, ""), "inc-" + id, null);
    }

    static Map<PartitionId, List<NodeConfig>> wanted(int... partitions) {
        Map<PartitionId, List<NodeConfig>> desired = new TreeMap<>();
        for (int partition : partitions) {
            desired.put(p(partition), List.of(node(1), node(2), node(3)));
        }
        return desired;
    }

    private RemovalStatus removal(int partition) {
        return reconciler.removals().stream().filter(r -> r.partition().equals(p(partition))).findFirst().orElseThrow();
    }

    @Test
    void removalsRunInParallelUpToTheLimitAndTheRestWaitForAThread() {
        for (int partition = 0; partition < 6; partition++) {
            host.with(p(partition), GroupState.SERVING);
        }

        reconciler.pass(wanted());

        assertThat(calls.pending()).as("calls started at once").isEqualTo(GroupReconciler.REMOVAL_PARALLELISM).isGreaterThan(1);
        assertThat(reconciler.removals()).extracting(RemovalStatus::partition).containsExactly(p(0), p(1), p(2), p(3), p(4), p(5));
        assertThat(removal(0).detail()).isEqualTo("Ratis group remove running for 0 ms (deadline 10 s)");
        assertThat(removal(0).attempts()).isEqualTo(1);
        assertThat(removal(5).detail()).isEqualTo("waiting for a removal thread");
        assertThat(removal(5).attempts()).isZero();

        calls.runNext();
        reconciler.pass(wanted());
        assertThat(host.removed).containsExactly(p(0));
        assertThat(host.deleted).containsExactly(p(0));
        assertThat(reconciler.removing()).doesNotContain(p(0));
        assertThat(calls.pending()).as("a freed thread takes the next removal").isEqualTo(GroupReconciler.REMOVAL_PARALLELISM);
    }

    @Test
    void callPastItsDeadlineIsOverdueAndNoLongerHoldsBackTheOthers() {
        for (int partition = 0; partition < 5; partition++) {
            host.with(p(partition), GroupState.SERVING);
        }
        reconciler.pass(wanted());
        assertThat(passRequests).as("a pass at the deadline").contains(GroupReconciler.REMOVAL_DEADLINE.plusMillis(1));

        clock.advance(GroupReconciler.REMOVAL_DEADLINE);
        reconciler.pass(wanted());
        assertThat(removal(0).overdue()).as("at the deadline, not past it").isFalse();
        assertThat(calls.pending()).isEqualTo(4);

        clock.advance(Duration.ofSeconds(2));
        reconciler.pass(wanted());
        RemovalStatus stuck = removal(0);
        assertThat(stuck.overdue()).isTrue();
        assertThat(stuck.since()).isEqualTo(START);
        assertThat(stuck.attempts()).isEqualTo(1);
        assertThat(stuck.detail()).isEqualTo("Ratis group remove running for 12 s (deadline 10 s)");
        assertThat(calls.pending()).as("the fifth removal starts beside four stuck calls").isEqualTo(5);
        assertThat(removal(4).overdue()).isFalse();
    }

    @Test
    void stuckCallsHoldAtMostTheirShareOfThreads() {
        int removals = GroupReconciler.REMOVAL_THREADS_MAX + 1;
        for (int partition = 0; partition < removals; partition++) {
            host.with(p(partition), GroupState.SERVING);
        }
        reconciler.pass(wanted());
        clock.advance(GroupReconciler.REMOVAL_DEADLINE.plusSeconds(1));
        reconciler.pass(wanted());
        clock.advance(GroupReconciler.REMOVAL_DEADLINE.plusSeconds(1));
        reconciler.pass(wanted());

        assertThat(calls.pending()).isEqualTo(GroupReconciler.REMOVAL_THREADS_MAX);
        assertThat(removal(removals - 1).detail())
                .isEqualTo("waiting for a removal thread; " + GroupReconciler.REMOVAL_THREADS_MAX + " call(s) stuck past their deadline hold theirs");
    }

    @Test
    void stuckCallThatReturnsCompletesTheRemovalWithoutASecondCall() {
        host.with(p(3), GroupState.SERVING);
        reconciler.pass(wanted());
        clock.advance(Duration.ofSeconds(30));
        reconciler.pass(wanted());
        assertThat(removal(3).overdue()).isTrue();
        assertThat(calls.pending()).as("never a second call beside the stuck one").isEqualTo(1);

        calls.runNext();

        assertThat(reconciler.removals()).isEmpty();
        assertThat(host.removed).containsExactly(p(3));
        assertThat(host.onDisk).isEmpty();
        assertThat(passRequests.getLast()).isEqualTo(Duration.ZERO);
    }

    @Test
    void failedCallIsRetriedAfterTheDelayThenGivenUpUntilRestart() {
        host.with(p(1), GroupState.SERVING);
        host.failingRemovals.put(p(1), Integer.MAX_VALUE);

        reconciler.pass(wanted());
        calls.runNext();
        assertThat(removal(1).detail()).isEqualTo("attempt 1 failed (java.io.IOException: disk says no); retrying in 1 s");
        assertThat(removal(1).overdue()).isFalse();

        reconciler.pass(wanted());
        assertThat(calls.pending()).as("no retry before the delay").isZero();

        for (int attempt = 2; attempt <= GroupReconciler.REMOVAL_ATTEMPTS_MAX; attempt++) {
            clock.advance(GroupReconciler.REMOVAL_RETRY_DELAY);
            reconciler.pass(wanted());
            assertThat(calls.pending()).isEqualTo(1);
            calls.runNext();
        }
        RemovalStatus gaveUp = removal(1);
        assertThat(gaveUp.attempts()).isEqualTo(GroupReconciler.REMOVAL_ATTEMPTS_MAX);
        assertThat(gaveUp.overdue()).isTrue();
        assertThat(gaveUp.detail()).isEqualTo("gave up after 3 attempts (java.io.IOException: disk says no); the group is removed when the worker restarts");

        clock.advance(Duration.ofMinutes(5));
        reconciler.pass(wanted());
        assertThat(calls.pending()).as("bounded attempts").isZero();
    }

    @Test
    void leadingDivisionWaitsForLeadershipToMoveBeforeItIsRemoved() {
        host.with(p(2), GroupState.LEADING);

        reconciler.pass(wanted());
        assertThat(calls.pending()).isZero();
        assertThat(removal(2).detail()).isEqualTo("waiting for leadership to move off this node (0 ms so far, at most 5 s)");
        assertThat(passRequests).contains(GroupReconciler.LEADERSHIP_MOVE_WAIT_MAX);

        clock.advance(Duration.ofMillis(400));
        host.with(p(2), GroupState.SERVING);
        reconciler.pass(wanted());
        assertThat(calls.pending()).as("removed once leadership moved").isEqualTo(1);
    }

    @Test
    void leaderWhoseLeadershipNeverMovesIsRemovedAfterTheBoundedWait() {
        host.with(p(2), GroupState.LEADING);
        reconciler.pass(wanted());
        clock.advance(GroupReconciler.LEADERSHIP_MOVE_WAIT_MAX.minusMillis(1));
        reconciler.pass(wanted());
        assertThat(calls.pending()).isZero();

        clock.advance(Duration.ofMillis(1));
        reconciler.pass(wanted());
        assertThat(calls.pending()).isEqualTo(1);
    }

    @Test
    void brokenGroupIsNeitherReportedNorKeptButRemovedAndCreatedAgain() {
        host.with(p(4), GroupState.BROKEN);

        reconciler.pass(wanted(4));
        assertThat(reconciler.removing()).containsExactly(p(4));
        assertThat(reconciler.removals()).as("a repair is not a removal the controller waits for").isEmpty();
        assertThat(host.added).isEmpty();

        calls.runNext();
        assertThat(host.removed).containsExactly(p(4));
        assertThat(host.deleted).containsExactly(p(4));

        reconciler.pass(wanted(4));
        assertThat(host.added).containsExactly(p(4));
        assertThat(host.listed).containsEntry(p(4), GroupState.STARTING);
    }

    @Test
    void whileTheDiskIsLowNothingIsCreatedOrRepairedButRemovalsGoOn() {
        host.with(p(4), GroupState.BROKEN).with(p(5), GroupState.SERVING);

        reconciler.pass(wanted(1, 4), false);

        assertThat(host.added).as("no new group on a low disk").isEmpty();
        assertThat(reconciler.removing()).as("the broken group keeps its data; the leaving one goes").containsExactly(p(5));
        calls.runNext();
        assertThat(host.deleted).containsExactly(p(5));

        reconciler.pass(wanted(1, 4), true);
        assertThat(host.added).as("room again: created").containsExactly(p(1));
        assertThat(reconciler.removing()).as("room again: repaired").containsExactly(p(4));
    }

    @Test
    void aRemovalInRatisWhenTheServerStopsIsDroppedAndDecidedAgainAfterTheRestart() {
        host.with(p(3), GroupState.SERVING).with(p(4), GroupState.SERVING);
        reconciler.pass(wanted());
        assertThat(calls.pending()).as("both calls in Ratis").isEqualTo(2);

        reconciler.serverStopped();
        assertThat(reconciler.removing()).isEmpty();
        assertThat(reconciler.removals()).isEmpty();

        // The new server recovered both groups from disk; P3 is placed here again, P4 still is not.
        reconciler.pass(wanted(3));
        assertThat(reconciler.removing()).as("decided afresh: P4 leaves, P3 stays").containsExactly(p(4));
        calls.runNext();
        calls.runNext();
        assertThat(host.removed).as("the calls of the stopped server change nothing").isEmpty();
        calls.runNext();
        assertThat(host.removed).containsExactly(p(4));
        assertThat(host.deleted).containsExactly(p(4));
        assertThat(host.listed).containsKey(p(3));
    }

    @Test
    void brokenGroupNoPlacementWantsIsAnOrdinaryRemoval() {
        host.with(p(4), GroupState.BROKEN);
        reconciler.pass(wanted());
        assertThat(reconciler.removals()).extracting(RemovalStatus::partition).containsExactly(p(4));
    }

    @Test
    void groupDirectoryTheServerDoesNotListIsDeletedWhenNoPlacementWantsIt() {
        host.onDisk.add(p(7));
        reconciler.pass(wanted());
        assertThat(reconciler.removals()).extracting(RemovalStatus::partition).containsExactly(p(7));
        calls.runNext();
        assertThat(host.deleted).containsExactly(p(7));
        assertThat(reconciler.removals()).isEmpty();
    }

    @Test
    void removalNotStartedYetIsCancelledWhenThePartitionIsPlacedHereAgain() {
        host.with(p(1), GroupState.LEADING).with(p(2), GroupState.SERVING);
        reconciler.pass(wanted());
        assertThat(calls.pending()).isEqualTo(1);

        reconciler.pass(wanted(1, 2));
        calls.runNext();

        assertThat(reconciler.removing()).isEmpty();
        assertThat(host.removed).as("neither the waiting leader nor the queued call removed anything").isEmpty();
    }

    @Test
    void groupIsNotCreatedAgainWhileItsRemovalRuns() {
        host.with(p(1), GroupState.SERVING);
        reconciler.pass(wanted());
        calls.runNothing();
        host.listed.remove(p(1));

        reconciler.pass(wanted(1));
        assertThat(host.added).isEmpty();
        calls.runNext();
        reconciler.pass(wanted(1));
        assertThat(host.added).containsExactly(p(1));
    }

    @Test
    void stuckRemoveOfAGroupRatisNoLongerListsIsCompletedWithoutItAndTheGroupCanComeBack() {
        host.with(p(3), GroupState.SERVING);
        reconciler.pass(wanted());
        // Ratis takes the group off its list when the remove begins; here the call then never returns.
        host.delistForPendingRemove(p(3));
        clock.advance(GroupReconciler.REMOVAL_DEADLINE.plusSeconds(1));

        reconciler.pass(wanted());

        assertThat(reconciler.removals()).as("the removal is complete").isEmpty();
        assertThat(host.deleted).containsExactly(p(3));
        assertThat(host.onDisk).doesNotContain(p(3));
        assertThat(calls.pending()).as("the stuck call keeps its thread").isEqualTo(1);

        reconciler.pass(wanted(3));
        assertThat(host.added).as("placed here again, the group is created again").containsExactly(p(3));

        calls.runNext();
        assertThat(host.deleted).as("the late call deletes nothing").containsExactly(p(3));
        assertThat(host.listed).containsKey(p(3));
        assertThat(reconciler.removals()).isEmpty();
    }

    @Test
    void stuckRemoveOfAGroupStillListedIsOnlyReported() {
        host.with(p(3), GroupState.SERVING);
        reconciler.pass(wanted());
        clock.advance(GroupReconciler.REMOVAL_DEADLINE.plusSeconds(1));

        reconciler.pass(wanted());

        assertThat(removal(3).overdue()).isTrue();
        assertThat(host.deleted).isEmpty();
    }

    @Test
    void stuckRemoveWhoseDivisionMayStillBeClosingIsOnlyReported() {
        host.stuckRemovesWaitForNothing = false;
        host.with(p(3), GroupState.SERVING);
        reconciler.pass(wanted());
        host.delistForPendingRemove(p(3));
        clock.advance(GroupReconciler.REMOVAL_DEADLINE.plusSeconds(1));

        reconciler.pass(wanted());

        assertThat(removal(3).overdue()).isTrue();
        assertThat(host.deleted).as("a close still running could write the files").isEmpty();
    }

    @Test
    void abandonedCallsStillCountAgainstTheThreadLimit() {
        int partitions = GroupReconciler.REMOVAL_THREADS_MAX + 1;
        for (int partition = 0; partition < partitions; partition++) {
            host.with(p(partition), GroupState.SERVING);
        }
        reconciler.pass(wanted());
        for (int round = 0; round < 3; round++) {
            for (int partition = 0; partition < partitions; partition++) {
                if (host.listed.containsKey(p(partition))) {
                    host.delistForPendingRemove(p(partition));
                }
            }
            clock.advance(GroupReconciler.REMOVAL_DEADLINE.plusSeconds(1));
            reconciler.pass(wanted());
        }
        assertThat(calls.pending()).as("never more threads than the limit, stuck or not").isEqualTo(GroupReconciler.REMOVAL_THREADS_MAX);
    }

    @Test
    void onePassMakesAtMostItsBudgetOfChangesAndAsksForAnother() {
        int[] many = new int[GroupReconciler.MAX_CHANGES_PER_PASS + 6];
        for (int i = 0; i < many.length; i++) {
            many[i] = i;
        }
        reconciler.pass(wanted(many));
        assertThat(host.added).hasSize(GroupReconciler.MAX_CHANGES_PER_PASS);
        assertThat(passRequests).containsExactly(Duration.ZERO);

        reconciler.pass(wanted(many));
        assertThat(host.added).hasSize(many.length);
    }

    @Test
    void groupWithAnUnknownMemberIsNotCreatedYet() {
        reconciler.pass(Map.of(p(1), List.of()));
        assertThat(host.added).isEmpty();
    }

    @Test
    void startingAndServingGroupsTheyWantAreLeftAlone() {
        host.with(p(0), GroupState.STARTING).with(p(1), GroupState.SERVING).with(p(2), GroupState.LEADING);
        reconciler.pass(wanted(0, 1, 2));
        assertThat(reconciler.removing()).isEmpty();
        assertThat(host.added).isEmpty();
        assertThat(calls.pending()).isZero();
    }

    /** An {@link InstantSource} the test moves by hand. */
    static final class ManualClock implements InstantSource {
        private Instant now;

        ManualClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Queues calls; the test runs them one by one, or leaves them "stuck". */
    static final class ManualExecutor implements Executor {
        private final Deque<Runnable> queued = new ArrayDeque<>();

        @Override
        public void execute(Runnable call) {
            queued.add(call);
        }

        int pending() {
            return queued.size();
        }

        void runNext() {
            queued.removeFirst().run();
        }

        /** Says in the test that the queued calls are left hanging for now. */
        void runNothing() {}
    }
}
