package dev.sluice.scheduler;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;

/**
 * Why the scheduler could not do something it wanted to do for a partition. The wire name
 * ({@code not-enough-candidates}) is what the API, the CLI and {@link dev.sluice.model.BlockingPartition}
 * carry; every {@link Explanation} also has the numbers behind it.
 */
public enum Reason {

    /** Fewer Active, alive workers outside the replica set than replicas to place. */
    NOT_ENOUGH_CANDIDATES,

    /** The replica set cannot span the zones the replication property asks for. */
    ZONE_SPREAD_UNSATISFIABLE,

    /** The change waits for a slot: a node or the cluster has as many changes under way as the limits allow. */
    THROTTLED,

    /** The partition's placement is frozen by the operator, so a change it needs is not made. */
    FROZEN,

    /** A member is dead but not yet for longer than the grace period, so its replica is not replaced yet. */
    WAITING_FOR_GRACE_PERIOD,

    /** A member is away in maintenance: its replica is kept until the maintenance ends, however long that is. */
    WAITING_FOR_MAINTENANCE,

    /** No alive member of the replica set can lead the partition. */
    NO_LEADER_CANDIDATE,

    /** The pinned leader is not a live, Active member that stays, so another member leads. */
    PINNED_LEADER_UNAVAILABLE,

    /**
     * A replaced worker's replica waits for its replacement, which cannot receive it now (dead, no longer Active, in
     * maintenance or cordoned): a replace moves it there and nowhere else.
     */
    REPLACEMENT_UNAVAILABLE;

    /**
     * Whether this reason means a replica has nowhere compliant to go. The drain pre-check refuses a
     * drain that would leave a partition in this situation.
     */
    public boolean blocksDrain() {
        return switch (this) {
            case NOT_ENOUGH_CANDIDATES, ZONE_SPREAD_UNSATISFIABLE -> true;
            case THROTTLED, FROZEN, WAITING_FOR_GRACE_PERIOD, WAITING_FOR_MAINTENANCE, NO_LEADER_CANDIDATE, PINNED_LEADER_UNAVAILABLE,
                    REPLACEMENT_UNAVAILABLE -> false;
        };
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    /**
     * Parses a wire name; case and underscores are tolerated.
     *
     * @throws IllegalArgumentException naming the accepted values if {@code text} is none of them
     */
    @JsonCreator
    public static Reason parse(String text) {
        return WireNames.parse(Reason.class, "reason", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
