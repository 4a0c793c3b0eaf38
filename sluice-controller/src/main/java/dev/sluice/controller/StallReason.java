package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;
import dev.sluice.raft.MoveFailure;
import dev.sluice.scheduler.Reason;
import java.util.Optional;

/**
 * Why a draining worker's partition is not moving: the scheduler's reasons for not planning a move, and
 * the move protocol's reasons for not finishing one. A closed set, so the API, the CLI, the dashboard and
 * the {@code sluice_partitions_stalled} metric classify stalls the same way, and a new reason cannot be
 * added without deciding how each surface shows it. Wire names are kebab-case ({@code removal-pending}).
 */
public enum StallReason {

    // The scheduler's: no move can be planned.

    /** Fewer Active, healthy workers outside the replica set than replicas to place. */
    NOT_ENOUGH_CANDIDATES,
    /** The replica set cannot span the zones the replication property asks for. */
    ZONE_SPREAD_UNSATISFIABLE,
    /** The partition's placement is frozen by the operator. */
    FROZEN,
    /** A member is dead but not yet past the grace period, so its replica is not replaced yet. */
    WAITING_FOR_GRACE_PERIOD,
    /** A member is away in maintenance, so its replica is kept until the maintenance ends. */
    WAITING_FOR_MAINTENANCE,
    /** No alive member of the replica set can lead the partition. */
    NO_LEADER_CANDIDATE,
    /** The pinned leader is not available. */
    PINNED_LEADER_UNAVAILABLE,
    /** A replace's receiving worker cannot receive (dead, not active, in maintenance, cordoned); the replica waits for it. */
    REPLACEMENT_UNAVAILABLE,

    // The move protocol's: a planned move does not finish.

    /** A joining member does not host the group: its worker has not created it, or cannot. */
    JOINER_NOT_HOSTING,
    /** No live member reports itself leader of the group. */
    LEADERLESS,
    /** The group's leader refuses changes: elected but not ready, stepping down, or in a state only its step-down clears. */
    LEADER_NOT_READY,
    /** A configuration change is under way but the joining member's log does not advance. */
    CATCH_UP_NOT_ADVANCING,
    /** The configuration change keeps failing for a reason the protocol does not expect. */
    CONFIGURATION_CHANGE_FAILING,
    /** Leadership must leave a member, and every transfer to the members that stay failed. */
    LEADERSHIP_TRANSFER_FAILING,
    /** The leaving worker still holds the group's files: its removal is past its deadline. */
    REMOVAL_PENDING,
    /** The worker concerned is registered alive but does not answer the controller's status polls. */
    WORKER_NOT_REPORTING;

    /** The stall reason for a scheduler explanation; empty for {@link Reason#THROTTLED}, which is waiting, not stuck. */
    public static Optional<StallReason> of(Reason reason) {
        return switch (reason) {
            case NOT_ENOUGH_CANDIDATES -> Optional.of(NOT_ENOUGH_CANDIDATES);
            case ZONE_SPREAD_UNSATISFIABLE -> Optional.of(ZONE_SPREAD_UNSATISFIABLE);
            case FROZEN -> Optional.of(FROZEN);
            case WAITING_FOR_GRACE_PERIOD -> Optional.of(WAITING_FOR_GRACE_PERIOD);
            case WAITING_FOR_MAINTENANCE -> Optional.of(WAITING_FOR_MAINTENANCE);
            case NO_LEADER_CANDIDATE -> Optional.of(NO_LEADER_CANDIDATE);
            case PINNED_LEADER_UNAVAILABLE -> Optional.of(PINNED_LEADER_UNAVAILABLE);
            case REPLACEMENT_UNAVAILABLE -> Optional.of(REPLACEMENT_UNAVAILABLE);
            case THROTTLED -> Optional.empty();
        };
    }

    /** What a persisting data-plane failure of this kind is called when it holds a drain up. */
    public static StallReason of(MoveFailure failure) {
        return switch (failure) {
            case MoveFailure.MemberNotHosting notHosting -> JOINER_NOT_HOSTING;
            case MoveFailure.NoLeader noLeader -> LEADERLESS;
            case MoveFailure.NotLeader notLeader -> LEADERLESS;
            case MoveFailure.LeaderNotReady notReady -> LEADER_NOT_READY;
            case MoveFailure.LeaderLeaving leaving -> LEADERSHIP_TRANSFER_FAILING;
            case MoveFailure.ReconfigurationInProgress inProgress -> CATCH_UP_NOT_ADVANCING;
            case MoveFailure.TargetNotVoter notVoter -> LEADERSHIP_TRANSFER_FAILING;
            case MoveFailure.AnotherLeaderElected another -> LEADERSHIP_TRANSFER_FAILING;
            case MoveFailure.TransferPending pending -> LEADERSHIP_TRANSFER_FAILING;
            case MoveFailure.TransferLeftPending leftPending -> LEADER_NOT_READY;
            case MoveFailure.StaleFollower stale -> LEADER_NOT_READY;
            case MoveFailure.Timeout timeout -> CONFIGURATION_CHANGE_FAILING;
            case MoveFailure.Unreachable unreachable -> WORKER_NOT_REPORTING;
            case MoveFailure.Unexpected unexpected -> CONFIGURATION_CHANGE_FAILING;
        };
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    /** @throws IllegalArgumentException naming the accepted values if {@code text} is none of them */
    @JsonCreator
    public static StallReason parse(String text) {
        return WireNames.parse(StallReason.class, "stall reason", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
