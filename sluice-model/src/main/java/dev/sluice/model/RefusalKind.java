package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Why a change to the nodes configuration was refused. Nothing is written when a change is refused. */
public enum RefusalKind {
    /** No node has that id or name. */
    UNKNOWN_NODE,
    /** The command was decided against an older incarnation of the node; it restarted since. */
    STALE_GENERATION,
    /** No actor may ask for this transition (it is not in the transition table). */
    ILLEGAL_TRANSITION,
    /** The transition exists, but not for this actor. */
    ACTOR_NOT_PERMITTED,
    /** This actor may ask for it only with force. */
    NEEDS_FORCE,
    /** The transition's guard does not hold (blocking partitions, node not alive, not yet emptied). */
    GUARD_FAILED,
    /** Another process registered the same node name at the same time. */
    REGISTRATION_CONFLICT,
    /** The request itself is malformed. */
    INVALID_REQUEST,
    /**
     * The nodes configuration the change would write is larger than the metadata store keeps in one document (about
     * 3,000 nodes): the cluster takes no more nodes, and no change that would grow the document.
     */
    CLUSTER_AT_CAPACITY;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static RefusalKind parse(String text) {
        return WireNames.parse(RefusalKind.class, "refusal kind", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
