package dev.sluice.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;

/** Why a replica set changes; the controller may log it and the dashboard shows it. */
public enum ChangeKind {

    /** The partition had no placement yet: the next set is its first replica set, written as current directly. */
    INITIAL,

    /**
     * Members that may not keep replicas (Disabled, Provisioning, dead longer than the grace period, or no
     * longer in the configuration) are replaced, or missing replicas are added.
     */
    REPAIR,

    /**
     * Every member that leaves is Draining, and nothing else is missing: the move an operator asked for by
     * draining a worker, told apart from a repair, which nobody asked for.
     */
    DRAIN,

    /** A change under way had a joining member that became unusable; just that member is replaced. */
    REVISE,

    /** The replica set did not span enough zones; members move to restore the spread. */
    SPREAD,

    /** The replica set had more members than the replication property asks for. */
    TRIM,

    /** A replica moves from a worker above the balanced count to one below it (bounded per pass). */
    FILL;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
