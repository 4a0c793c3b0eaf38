package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.raft.MoveFailure;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the controller remembers of one partition between passes: the data-plane call under way, the
 * failures in a row, what the data plane confirmed, the leadership targets not to try again, and when
 * the partition last made progress. Immutable; the controller's thread replaces it as events arrive and
 * passes decide. Soft state of this leadership term: a new controller leader starts with none, which
 * can only make it re-ask, never skip, a step.
 *
 * @param next the next replica set the move-related fields are about; empty when no move is under way
 * @param inFlight the call under way, or {@code null}
 * @param lastFailure the last failure since the last success, or {@code null}
 * @param failures consecutive failures
 * @param failingSince when the first of those failures happened, or {@code null} when there are none
 * @param retryAt nothing is started before this instant, or {@code null}
 * @param confirmed the configuration the data plane confirmed committed in this term, or {@code null}
 * @param failingUnder the leader the last failure is blamed on (a configuration change it refused), or {@code null}
 * @param avoidTargets leadership targets a transfer to failed, until when they are not tried again
 * @param progressAt when the partition last made progress (a placement write, a successful call, a
 *     joining member's log advancing)
 * @param joinersApplied the highest applied index a joining member reported, to see catch-up advance
 */
record MoveMemory(
        List<NodeId> next,
        Call inFlight,
        MoveFailure lastFailure,
        int failures,
        Instant failingSince,
        Instant retryAt,
        Set<NodeId> confirmed,
        NodeId failingUnder,
        Map<NodeId, Instant> avoidTargets,
        Instant progressAt,
        long joinersApplied) {

    /** A data-plane call under way; its completion is matched by {@code id}, so a late answer to an abandoned call is ignored. */
    record Call(long id, MoveStep action, NodeId leader, Instant startedAt, Instant deadline) {}

    MoveMemory {
        next = List.copyOf(next);
        confirmed = confirmed == null ? null : Set.copyOf(confirmed);
        avoidTargets = Map.copyOf(avoidTargets);
        Objects.requireNonNull(progressAt, "progressAt");
    }

    static MoveMemory fresh(List<NodeId> next, Instant now) {
        return new MoveMemory(next, null, null, 0, null, null, null, null, Map.of(), now, -1);
    }

    /**
     * This memory for a placement whose next set is {@code placementNext}: unchanged if it is the same move,
     * otherwise the move-related fields start over (a revised move is progress). Avoided targets stay, and
     * so does a call under way: it runs in the data plane whatever the placement says now (a leadership
     * transfer started in the pass that also started the move was forgotten, sent again and refused, and its
     * success ignored), and its outcome still says what the group did.
     */
    MoveMemory forMove(List<NodeId> placementNext, Instant now) {
        // The same list first: asked for every moving partition every pass, and almost always the same move.
        if (placementNext.equals(next) || Set.copyOf(placementNext).equals(Set.copyOf(next))) {
            return this;
        }
        return new MoveMemory(placementNext, inFlight, null, 0, null, null, null, null, avoidTargets, now, -1);
    }

    boolean isIdle(Instant now) {
        return next.isEmpty() && inFlight == null && (retryAt == null || !retryAt.isAfter(now)) && avoidTargets.values().stream().noneMatch(now::isBefore);
    }

    MoveMemory started(Call call) {
        return new MoveMemory(next, call, lastFailure, failures, failingSince, retryAt, confirmed, failingUnder, avoidTargets, progressAt, joinersApplied);
    }

    /** The call {@code id} succeeded: failures end, and it counts as progress. */
    MoveMemory succeeded(long id, Set<NodeId> confirmedConfiguration, Instant now) {
        if (inFlight == null || inFlight.id() != id) {
            return this;
        }
        Set<NodeId> nowConfirmed = confirmedConfiguration != null ? confirmedConfiguration : confirmed;
        return new MoveMemory(next, null, null, 0, null, null, nowConfirmed, null, avoidTargets, now, joinersApplied);
    }

    /**
     * The call {@code id} failed.
     *
     * @param at when it failed
     * @param retryAt when to try again
     * @param failedUnder the leader the call went to, if a configuration change failed under it
     * @param avoid a transfer target not to try again, and until when, or {@code null}
     */
    MoveMemory failed(long id, MoveFailure failure, Instant at, Instant retryAt, NodeId failedUnder, NodeId avoid, Instant avoidUntil) {
        if (inFlight == null || inFlight.id() != id) {
            return this;
        }
        Map<NodeId, Instant> avoiding = avoidTargets;
        if (avoid != null) {
            avoiding = new HashMap<>(avoidTargets);
            avoiding.put(avoid, avoidUntil);
        }
        return new MoveMemory(next, null, failure, failures + 1, failures == 0 ? at : failingSince, retryAt, confirmed, failedUnder, avoiding, progressAt,
                joinersApplied);
    }

    /**
     * Deciding or acting on this partition threw (a bug): it backs off like after a failed call, and its
     * stall reason carries the error, instead of the exception ending every partition's pass.
     */
    MoveMemory broke(MoveFailure failure, Instant at, Instant retryAt) {
        return new MoveMemory(next, inFlight, failure, failures + 1, failures == 0 ? at : failingSince, retryAt, confirmed, failingUnder, avoidTargets, progressAt, joinersApplied);
    }

    /** Leadership moved away on purpose: the failures counted under the old leader no longer say anything. */
    MoveMemory leaderReplaced() {
        return new MoveMemory(next, inFlight, lastFailure, 0, null, retryAt, confirmed, null, avoidTargets, progressAt, joinersApplied);
    }

    /** A joining member reported {@code applied}; an advance is progress. */
    MoveMemory joinersAt(long applied, Instant now) {
        if (applied <= joinersApplied) {
            return this;
        }
        return new MoveMemory(next, inFlight, lastFailure, failures, failingSince, retryAt, confirmed, failingUnder, avoidTargets, now, applied);
    }

    MoveMemory progressed(Instant now) {
        return new MoveMemory(next, inFlight, lastFailure, failures, failingSince, retryAt, confirmed, failingUnder, avoidTargets, now, joinersApplied);
    }

    boolean avoids(NodeId target, Instant now) {
        Instant until = avoidTargets.get(target);
        return until != null && now.isBefore(until);
    }
}
