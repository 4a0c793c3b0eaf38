package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.WireNames;

/**
 * How much room a worker's data directory has, as the worker's disk-space rule judges it, and what the worker
 * does about it. Soft state: measured again every check and never stored.
 *
 * <p>Why two levels below normal: a worker that stops leading and refuses client writes still receives its
 * share of the other leaders' writes as a follower, so its disk keeps filling, more slowly. Once too little
 * is left for Ratis to write safely, it must stop appending altogether: Ratis 3.3 does not survive running
 * out of space (a failed log append wedges the division until it restarts, and a term change written during
 * the failure leaves an empty {@code raft-meta}, after which the Raft server refuses to start; see
 * docs/worker.md).
 */
public enum DiskState {
    /** At or above the floor (or back above the resume level): the worker serves normally. */
    OK,
    /**
     * Below the floor: the worker refuses client writes ({@code 507 insufficient-storage}), reports itself
     * not ready, stops leading (its divisions stop campaigning and hand their leaderships to other voters),
     * and creates or repairs no group. Its replicas stay voting followers, so its partitions keep their
     * replication, and reads it still leads are served.
     */
    LOW,
    /**
     * Below the critical level, or a write failed for lack of space: the worker's Raft server is stopped (its
     * divisions neither append nor vote; to the cluster the node looks crashed) and started again from disk
     * when space is back above the resume level. The process stays up: status and readiness say why.
     */
    CRITICAL;

    /**
     * Whether the worker takes anything that makes its data grow: client writes, leaderships (a leader is
     * where writes enter), new groups and repaired ones.
     */
    public boolean takesWrites() {
        return switch (this) {
            case OK -> true;
            case LOW, CRITICAL -> false;
        };
    }

    /** Whether the Raft server runs; only critical stops it. */
    public boolean raftServerRuns() {
        return switch (this) {
            case OK, LOW -> true;
            case CRITICAL -> false;
        };
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    /** @throws IllegalArgumentException naming the accepted values if {@code text} is none of them */
    @JsonCreator
    public static DiskState parse(String text) {
        return WireNames.parse(DiskState.class, "disk state", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
