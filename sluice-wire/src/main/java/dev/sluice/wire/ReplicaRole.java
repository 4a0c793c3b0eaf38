package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;

/**
 * What a partition replica is doing in its Raft group, as its worker reports it ({@code role} in the worker
 * status) and as the controller reads it.
 */
public enum ReplicaRole {
    /** Leads the group: takes writes and linearizable reads. */
    LEADER,
    /** A voting member following the leader. */
    FOLLOWER,
    /** A voting member asking for votes. */
    CANDIDATE,
    /** A non-voting member that receives the log. */
    LISTENER,
    /**
     * The replica exists here but the group's configuration does not include it yet: it is a joining
     * member, waiting for the leader to stage it (snapshot plus log) and then add it. Also a member that
     * was removed and not yet deleted, and a division whose details cannot be read yet.
     */
    STAGING,
    /**
     * Never reported: what a reader makes of a role it does not know, which a newer worker may report during
     * a rolling upgrade. One new word must not make a whole status unreadable, or the controller would take
     * the worker for one that does not answer.
     */
    UNKNOWN;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    /** The role named {@code text}, or {@link #UNKNOWN} when no role of this version has that name. */
    @JsonCreator
    public static ReplicaRole parse(String text) {
        try {
            return WireNames.parse(ReplicaRole.class, "replica role", text);
        } catch (IllegalArgumentException newerWorker) {
            return UNKNOWN;
        }
    }

    @Override
    public String toString() {
        return wireName();
    }
}
