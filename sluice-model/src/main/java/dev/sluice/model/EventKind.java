package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonValue;

/** The kinds of event in the cluster's event log. Readers keep events of kinds they do not know as {@link #OTHER}. */
public enum EventKind {
    NODE_REGISTERED,
    NODE_TRANSITION,
    NODE_REMOVED,
    NODE_DEAD,
    NODE_ALIVE,
    PARTITIONS_CREATED,
    DRAIN_STARTED,
    DRAIN_CANCELLED,
    DRAIN_STALLED,
    DRAIN_COMPLETED,
    PARTITION_MOVE_STARTED,
    PARTITION_MOVED,
    PARTITION_MOVE_FAILED,
    LEADERSHIP_MOVED,
    CONTROLLER_ELECTED,
    MAINTENANCE_STARTED,
    MAINTENANCE_ENDED,
    /** A maintenance ran out with its node still away: the dead-node grace period starts now. */
    MAINTENANCE_EXPIRED,
    ROLLOUT_STARTED,
    /** One worker of a rolling restart is back and caught up. */
    ROLLOUT_NODE_RESTARTED,
    /** A rolling restart completed, stopped by itself, or was cancelled. */
    ROLLOUT_ENDED,
    /** An operator cordoned a worker: it receives no new replica or leadership. */
    NODE_CORDONED,
    /** An operator lifted a worker's cordon. */
    NODE_UNCORDONED,
    /** An operator froze or unfroze a partition's placement, or pinned or unpinned its leader. */
    PARTITION_POLICY_CHANGED,
    /** Several workers (or a zone) began draining as one operation, in one write of the nodes configuration. */
    DRAIN_GROUP_STARTED,
    /** A group drain with a deadline became at risk (its ETA exceeds the time left, or a stall makes it unknown) or overdue. */
    DRAIN_GROUP_AT_RISK,
    /** An operator cancelled a group drain: its members still draining went back to active in one write. */
    DRAIN_GROUP_CANCELLED,
    /** Every member of a group drain ended (disabled, or taken back out of the drain). */
    DRAIN_GROUP_COMPLETED,
    /** A replace began: the replaced worker drains, its replicas go to the receiving worker. */
    REPLACE_STARTED,
    /** A replace was cancelled (the replaced worker is active again); what moved already stays. */
    REPLACE_CANCELLED,
    /** A replace finished: the replaced worker holds nothing and is disabled. */
    REPLACE_FINISHED,
    /** An operator changed a runtime setting (a throttle): who, when, old → new. */
    SETTINGS_CHANGED,
    @JsonEnumDefaultValue
    OTHER;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static EventKind parse(String text) {
        try {
            return WireNames.parse(EventKind.class, "event kind", text);
        } catch (IllegalArgumentException newerWriter) {
            return OTHER;
        }
    }

    @Override
    public String toString() {
        return wireName();
    }
}
