package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;

/** The Raft role of one replica, as its node reports it. */
public enum ReplicaRole {
    LEADER,
    FOLLOWER,
    CANDIDATE,
    /** A member being staged into the group (Ratis "listener"/learner) that does not vote yet. */
    LEARNER,
    UNKNOWN;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static ReplicaRole parse(String text) {
        try {
            return WireNames.parse(ReplicaRole.class, "replica role", text);
        } catch (IllegalArgumentException newer) {
            return UNKNOWN;
        }
    }
}
