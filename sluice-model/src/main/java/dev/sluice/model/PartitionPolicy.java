package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Per-partition operator overrides for the scheduler.
 *
 * @param frozen the scheduler changes nothing about this partition's replica set
 * @param pinnedLeader the node that should lead it whenever it is a live member, or {@code null}
 */
public record PartitionPolicy(boolean frozen, NodeId pinnedLeader) {

    public static final PartitionPolicy DEFAULT = new PartitionPolicy(false, null);

    @JsonCreator
    public PartitionPolicy(@JsonProperty("frozen") boolean frozen, @JsonProperty("pinnedLeader") NodeId pinnedLeader) {
        this.frozen = frozen;
        this.pinnedLeader = pinnedLeader;
    }
}
