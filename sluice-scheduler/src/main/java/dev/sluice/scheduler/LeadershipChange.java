package dev.sluice.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WireNames;
import java.util.Objects;

/**
 * Move one partition's leadership to {@code to}, a live Active member of its current replica set that
 * stays. Needs no replica move and is never throttled, so leaderships are shed before any replica
 * leaves. A partition may also appear in the plan's replica-set changes; then this change comes first
 * and the replica-set change's preferred leader is {@code to}.
 *
 * @param from the leader the placement names now, or {@code null} if it names none
 */
public record LeadershipChange(PartitionId partition, NodeId from, NodeId to, Cause cause) {

    public LeadershipChange {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(cause, "cause");
        if (to.equals(from)) {
            throw new IllegalArgumentException(partition + ": leadership change from " + from + " to itself");
        }
    }

    /** Why leadership moves. */
    public enum Cause {
        /** The leader is dead (with or without grace: leadership never waits). */
        LEADER_DEAD,
        /** The leader is Draining: its leaderships go before its replicas. */
        LEADER_DRAINING,
        /** The leader is in maintenance: it is about to go away for a while, and keeps its replicas meanwhile. */
        LEADER_IN_MAINTENANCE,
        /** The leader is Provisioning, Disabled, or no longer in the configuration. */
        LEADER_NOT_ACTIVE,
        /** The leader leaves the replica set in this plan. */
        LEADER_LEAVING,
        /** The placement names no leader, or one that is not a member. */
        NO_LEADER,
        /** The operator pinned the leadership to {@code to}. */
        PINNED,
        /** Leaders are balanced over the Active, alive workers. */
        BALANCE;

        @JsonValue
        public String wireName() {
            return WireNames.of(this);
        }

        @Override
        public String toString() {
            return wireName();
        }
    }

    @Override
    public String toString() {
        return partition + " leader " + from + " -> " + to + " (" + cause.wireName() + ")";
    }
}
