package dev.sluice.raft;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;

/** What a partition replica is doing in its Raft group, as status reports it. */
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
     * was removed and not yet deleted.
     */
    STAGING;

    public static ReplicaRole of(RaftPeerRole role, boolean inConfiguration) {
        if (!inConfiguration) {
            return STAGING;
        }
        return switch (role) {
            case LEADER -> LEADER;
            case CANDIDATE -> CANDIDATE;
            case LISTENER -> LISTENER;
            case FOLLOWER, UNRECOGNIZED -> FOLLOWER;
        };
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
