package dev.sluice.scheduler;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.util.Objects;

/**
 * One replica of one partition moving from a worker to another, as a dry-run reports it.
 *
 * @param from the worker giving the replica up, or {@code null} when a replica is added (an initial
 *     set, or a partition that had too few)
 * @param to the worker receiving it, or {@code null} when a surplus replica is dropped
 */
public record Move(PartitionId partition, NodeId from, NodeId to) {

    public Move {
        Objects.requireNonNull(partition, "partition");
        if (from == null && to == null) {
            throw new IllegalArgumentException(partition + ": a move needs a source or a target");
        }
    }

    @Override
    public String toString() {
        return partition + " " + (from == null ? "-" : from) + " -> " + (to == null ? "-" : to);
    }
}
