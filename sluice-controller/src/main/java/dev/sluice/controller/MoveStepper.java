package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.Placement;
import dev.sluice.raft.MoveFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides the next {@link MoveStep} of one partition's replica-set change from its placement, what the
 * workers report and its {@link MoveMemory}; and owns the retry policy: how long to back off after each
 * kind of {@link MoveFailure}, which failures are routine, and when a repeating failure escalates. Pure:
 * no I/O, no clock, no state — the same inputs give the same step.
 *
 * <p>The protocol, in the order the checks run:
 * <ol>
 *   <li>a configuration change Ratis will not finish nor give up, a leadership transfer it left pending, or a
 *       leader that still replicates to a member the change adds back ({@link MoveFailure.StaleFollower}):
 *       the leader steps down ({@link MoveStep.StepDown});
 *   <li>a call under way: {@link MoveStep.InFlight};
 *   <li>a failure's back-off not over: {@link MoveStep.BackOff};
 *   <li>the data plane confirmed the group's configuration is next: {@link MoveStep.Complete} — at once,
 *       without waiting for a fresh status poll (why that is safe: {@code docs/controller.md});
 *   <li>a joining member does not host the group: {@link MoveStep.AwaitJoiner};
 *   <li>no leader: {@link MoveStep.AwaitLeader};
 *   <li>configuration changes keep failing under this leader, or the leader leaves: move leadership to a
 *       healthy staying member not tried before ({@link MoveStep.ShedLeadership});
 *   <li>otherwise change the configuration, through the union of both sets when Raft needs it
 *       ({@link MoveStep.ChangeConfiguration}), or confirm it ({@link MoveStep.Confirm}).
 * </ol>
 */
final class MoveStepper {

    /**
     * After this many failed configuration changes in a row under one leader, leadership moves to another
     * member that stays before the next attempt. Seen under heavy load: a leader that took over by a
     * transfer could not commit in its new term and refused every change until it lost leadership.
     */
    static final int KICK_LEADER_AFTER_FAILURES = 2;

    private final ControllerConfig config;

    MoveStepper(ControllerConfig config) {
        this.config = config;
    }

    /** The next step of {@code placement}'s change (it must have a next set). */
    MoveStep next(Placement placement, MoveMemory memory, Observed observed, Instant now) {
        if (!placement.hasNext()) {
            throw new IllegalArgumentException("BUG: " + placement.partition() + " has no move under way");
        }
        Optional<MoveStep.StepDown> stepDown = stepDown(placement, memory, observed, now);
        if (stepDown.isPresent()) {
            return stepDown.get();
        }
        if (memory.inFlight() != null) {
            return new MoveStep.InFlight(memory.inFlight().action(), memory.inFlight().startedAt(), memory.inFlight().deadline());
        }
        if (memory.retryAt() != null && now.isBefore(memory.retryAt())) {
            return new MoveStep.BackOff(memory.retryAt(), memory.lastFailure(), memory.failures());
        }
        Set<NodeId> wanted = Set.copyOf(placement.next());
        Optional<NodeId> leader = observed.leader(placement.partition());
        if (wanted.equals(memory.confirmed())) {
            return new MoveStep.Complete(leader.orElse(null));
        }
        for (NodeId joiner : placement.joining()) {
            // A joiner that stopped answering is not asked to join: Ratis would stage it for as long as the
            // group takes writes (see stepDown).
            if (!observed.hosts(joiner, placement.partition()) || !observed.healthy(joiner)) {
                return new MoveStep.AwaitJoiner(joiner, observed.healthy(joiner));
            }
        }
        if (leader.isEmpty()) {
            return new MoveStep.AwaitLeader();
        }
        NodeId leading = leader.get();
        if (memory.failures() >= KICK_LEADER_AFTER_FAILURES && leading.equals(memory.failingUnder())) {
            Optional<NodeId> other = leadershipTarget(placement, memory, observed, leading, now);
            if (other.isPresent()) {
                return new MoveStep.ShedLeadership(leading, other.get(), "configuration change keeps failing under this leader");
            }
        }
        if (placement.leaving().contains(leading)) {
            Optional<NodeId> target = leadershipTarget(placement, memory, observed, leading, now);
            if (target.isPresent()) {
                return new MoveStep.ShedLeadership(leading, target.get(), "leader leaves the replica set");
            }
            // No staying member can take over now. A leg that keeps the leader may still go ahead; one that
            // removes it is refused by the data plane (leader-leaving: a Ratis leader committing its own
            // removal has wedged its division), and the move waits, saying why, until a member can lead.
        }
        // A configuration this controller saw committed is newer than any report it polled before.
        Set<NodeId> committed = memory.confirmed() != null ? memory.confirmed()
                : Set.copyOf(observed.view(leading, placement.partition()).map(ReplicaView::configuration).orElse(java.util.List.of()));
        if (committed.equals(wanted)) {
            return new MoveStep.Confirm(wanted);
        }
        Set<NodeId> step = configurationStep(committed, wanted);
        return new MoveStep.ChangeConfiguration(committed, step, step.equals(wanted));
    }

    /**
     * A configuration change that Ratis will neither finish nor give up, ended by making the leader step
     * down (it drops what it stages; nothing of it is in the log). Ratis stages a new member until it has
     * caught up, and fails the change for lack of progress only when its leader's event loop has been idle
     * for a whole election timeout, which never happens while clients write. Two cases:
     * <ul>
     *   <li>the change in flight adds a member that stopped answering, and neither the call nor the move has
     *       progressed for the stall period (found by {@code ControllerDrainTest}: a receiving worker killed
     *       during its change held the drain for good, every later change refused as in progress);
     *   <li>no call in flight, changes refused as in progress, and no progress for a whole reconfiguration
     *       timeout: a change this controller no longer tracks (one a previous controller leader started, or
     *       one whose call this controller gave up on) is stuck. The bound is long so that a slow but
     *       healthy catch-up, which the joiner's applied index does not always show, is left alone.
     * </ul>
     * And, at once, a leader the data plane found still replicating to a member the change adds back
     * ({@link MoveFailure.StaleFollower}, chaos finding 8), unless another member leads by now: Ratis would fail
     * that change and wedge every later one; a leader elected on a stable configuration replicates to its members
     * only.
     */
    Optional<MoveStep.StepDown> stepDown(Placement placement, MoveMemory memory, Observed observed, Instant now) {
        MoveMemory.Call call = memory.inFlight();
        if (call != null) {
            if (!(call.action() instanceof MoveStep.ChangeConfiguration change) || call.startedAt().plus(config.stallAfter()).isAfter(now)
                    || memory.progressAt().plus(config.stallAfter()).isAfter(now)) {
                return Optional.empty();
            }
            Optional<NodeId> gone = change.to().stream().filter(node -> !change.from().contains(node)).filter(node -> !observed.healthy(node))
                    .sorted().findFirst();
            Optional<NodeId> leader = observed.leader(placement.partition()).or(() -> Optional.ofNullable(call.leader()));
            if (gone.isEmpty() || leader.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new MoveStep.StepDown(leader.get(), "its change to " + new TreeSet<>(change.to()) + " stages " + gone.get()
                    + ", which stopped answering"));
        }
        Optional<MoveStep.StepDown> releasing = releaseTransfer(memory, now);
        if (releasing.isPresent()) {
            return releasing;
        }
        if (memory.lastFailure() instanceof MoveFailure.StaleFollower stale
                && observed.leader(placement.partition()).map(stale.leader()::equals).orElse(true)) {
            // At once, back-off or not: no retry under this leader can succeed, and a step-down costs one election.
            return Optional.of(new MoveStep.StepDown(stale.leader(), "it still replicates to " + stale.member()
                    + ", which left its configuration, and Ratis would wedge its configuration changes if " + stale.member()
                    + " were added back under it"));
        }
        if (!(memory.lastFailure() instanceof MoveFailure.ReconfigurationInProgress inProgress)
                || memory.progressAt().plus(config.reconfigurationTimeout()).isAfter(now)) {
            return Optional.empty();
        }
        // The member that refused, not the leader the status polls name: they can differ while a stale leader still
        // answers its polls, and stepping that one down ends nothing (chaos seed 20299292: the polls named N4, the change
        // was in progress on N2, and the step-down went to N4).
        return Optional.of(new MoveStep.StepDown(inProgress.leader(),
                "changes refused as in progress with no progress for " + config.reconfigurationTimeout().toSeconds() + " s"));
    }

    /**
     * A leader holding a leadership transfer that Ratis will never end, made to step down — the only way to
     * clear it, at the cost of one election; until then it refuses the partition's writes, its configuration
     * changes and every other transfer. For any partition, moving or not (a balancing transfer or a
     * maintenance's can leave one too), once no call is under way:
     * <ul>
     *   <li>a transfer failed at once and was left pending ({@link MoveFailure.TransferLeftPending}): at once,
     *       without waiting out a back-off. Seen in {@code LocalClusterLifecycleScenariosTest}: a transfer to a
     *       member killed a moment before left the draining leader refusing every transfer for three minutes,
     *       until the test gave up;
     *   <li>transfers refused because another is pending ({@link MoveFailure.TransferPending}) for longer than
     *       twice a transfer's timeout: every transfer Sluice asks for ends within that, so this one was left
     *       pending by someone else's call.
     * </ul>
     */
    Optional<MoveStep.StepDown> releaseTransfer(MoveMemory memory, Instant now) {
        if (memory.inFlight() != null) {
            return Optional.empty();
        }
        return switch (memory.lastFailure()) {
            case MoveFailure.TransferLeftPending left -> Optional.of(new MoveStep.StepDown(left.leader(),
                    "a transfer that failed at once was left pending on it by Ratis, and it refuses writes and transfers until it stops leading"));
            case MoveFailure.TransferPending pending when memory.failingSince() != null
                    && !memory.failingSince().plus(config.leadershipTransferTimeout().multipliedBy(2)).isAfter(now) ->
                    Optional.of(new MoveStep.StepDown(pending.leader(), "transfers refused for " + Duration.between(memory.failingSince(), now).toSeconds()
                            + " s because another is pending on it, longer than any transfer may take"));
            case null, default -> Optional.empty();
        };
    }

    /**
     * The next configuration to ask Raft for on the way from {@code committed} to {@code wanted}. Raft
     * refuses a change in which new members make up half or more of the new configuration (Ratis:
     * "changes a majority set"), as when a draining and a dead member of three are both replaced. Such a
     * change first adds joiners to the committed set — at most {@code |committed| − 1} per leg, so they stay
     * a minority of each leg's configuration — and then, once every joiner is in, drops the leaving members
     * in one leg (which adds no one). Replacing two of three goes through the union of both sets; replacing
     * all three adds two, then the third, then drops the old three.
     */
    static Set<NodeId> configurationStep(Set<NodeId> committed, Set<NodeId> wanted) {
        List<NodeId> joiners = wanted.stream().filter(node -> !committed.contains(node)).sorted().toList();
        if (joiners.size() * 2 < wanted.size()) {
            return wanted;
        }
        int addable = Math.max(1, committed.size() - 1);
        Set<NodeId> leg = new TreeSet<>(committed);
        leg.addAll(joiners.subList(0, Math.min(joiners.size(), addable)));
        return leg;
    }

    /**
     * The member, other than {@code leader}, that should lead instead: healthy, hosting the group, not a
     * target a transfer to already failed; a member that stays (in both the current and the next set) if
     * one can, else a joining member that is already a voter of the committed configuration; leading the
     * fewest groups. The second kind is what a move replacing every member needs: once the joiners are in,
     * the leg that drops the old members needs a leader among the new ones, and no member stays (the
     * simulation found such a move retrying {@code leader-leaving} for ever at 50 workers × 1,000 partitions).
     */
    Optional<NodeId> leadershipTarget(Placement placement, MoveMemory memory, Observed observed, NodeId leader, Instant now) {
        Set<NodeId> wanted = Set.copyOf(placement.hasNext() ? placement.next() : placement.current());
        Set<NodeId> staying = new HashSet<>(placement.current());
        staying.retainAll(wanted);
        Set<NodeId> voters = memory.confirmed() != null ? memory.confirmed()
                : Set.copyOf(observed.view(leader, placement.partition()).map(ReplicaView::configuration).orElse(List.of()));
        Optional<NodeId> stays = able(staying, placement, memory, observed, leader, now);
        if (stays.isPresent()) {
            return stays;
        }
        Set<NodeId> joinedVoters = new HashSet<>(wanted);
        joinedVoters.retainAll(voters);
        return able(joinedVoters, placement, memory, observed, leader, now);
    }

    private static Optional<NodeId> able(Set<NodeId> candidates, Placement placement, MoveMemory memory, Observed observed, NodeId leader, Instant now) {
        return candidates.stream()
                .filter(node -> !node.equals(leader))
                .filter(observed::healthy)
                .filter(node -> observed.hosts(node, placement.partition()))
                .filter(node -> !memory.avoids(node, now))
                .min(Comparator.comparing(observed::leaderships).thenComparing(Comparator.naturalOrder()));
    }

    /**
     * Whether a failure is an expected part of the protocol — the group is between leaders, an earlier
     * change is still committing, a joiner is still creating its group — rather than something operators
     * should hear about. Routine failures are retried quickly and never reported as failed moves; if they
     * persist, the partition's stall reason says what it waits for.
     */
    static boolean routine(MoveFailure failure) {
        return switch (failure) {
            case MoveFailure.MemberNotHosting m -> true;
            case MoveFailure.NoLeader n -> true;
            case MoveFailure.NotLeader n -> true;
            case MoveFailure.LeaderNotReady n -> true;
            case MoveFailure.LeaderLeaving l -> true;
            case MoveFailure.ReconfigurationInProgress r -> true;
            case MoveFailure.TargetNotVoter t -> true;
            case MoveFailure.AnotherLeaderElected a -> true;
            case MoveFailure.TransferPending p -> true;
            case MoveFailure.TransferLeftPending l -> false;
            case MoveFailure.StaleFollower s -> false;
            case MoveFailure.Timeout t -> false;
            case MoveFailure.Unreachable u -> false;
            case MoveFailure.Unexpected u -> false;
        };
    }

    /**
     * Whether a failed configuration change says something about the leader it went to — then, repeated,
     * leadership moves away. A joiner that does not host the group or a lost leader is not the leader's fault.
     */
    static boolean blamesLeader(MoveFailure failure) {
        return switch (failure) {
            case MoveFailure.LeaderNotReady n -> true;
            case MoveFailure.Timeout t -> true;
            case MoveFailure.Unexpected u -> true;
            case MoveFailure.MemberNotHosting m -> false;
            case MoveFailure.NoLeader n -> false;
            case MoveFailure.NotLeader n -> false;
            case MoveFailure.LeaderLeaving l -> false;
            case MoveFailure.ReconfigurationInProgress r -> false;
            case MoveFailure.TargetNotVoter t -> false;
            case MoveFailure.AnotherLeaderElected a -> false;
            case MoveFailure.TransferPending p -> false;
            case MoveFailure.TransferLeftPending l -> false;
            case MoveFailure.StaleFollower s -> false;
            case MoveFailure.Unreachable u -> false;
        };
    }

    /** How long to wait after the {@code failures}-th failure in a row: short for routine ones, doubling for the rest. */
    Duration backoff(MoveFailure failure, int failures) {
        return routine(failure) ? config.busyPassInterval().multipliedBy(2) : config.backoffAfter(failures);
    }

    /** The deadline of a call started for {@code action}. */
    Duration deadline(MoveStep action) {
        return switch (action.kind()) {
            case STEP_DOWN, SHED_LEADERSHIP -> config.leadershipTransferTimeout();
            case CHANGE_CONFIGURATION, CONFIRM -> config.reconfigurationTimeout();
            case AWAIT_JOINER, AWAIT_LEADER, IN_FLIGHT, BACK_OFF, COMPLETE ->
                    throw new IllegalArgumentException("BUG: " + action.kind() + " starts no call");
        };
    }

    /** How long a transfer target that failed is not tried again. */
    Duration avoidTargetFor() {
        return config.stallAfter();
    }
}
