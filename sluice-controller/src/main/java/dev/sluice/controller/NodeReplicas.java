package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one worker reported at one instant: every partition replica it hosts and serves, and every group
 * it is still removing (its files are not deleted yet). Soft state.
 */
public record NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals) {

    /**
     * A group the worker is removing.
     *
     * @param since when the worker started removing it
     * @param overdue whether the removal is past the worker's deadline for it
     * @param detail what the removal waits for, in the worker's words
     */
    public record Removal(PartitionId partition, Instant since, int attempts, boolean overdue, String detail) {}

    public NodeReplicas {
        replicas = java.util.Collections.unmodifiableMap(new TreeMap<>(replicas));
        removals = removals == null ? List.of() : List.copyOf(removals);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas) {
        this(node, observedAt, replicas, List.of());
    }

    public boolean hosts(PartitionId partition) {
        return replicas.containsKey(partition);
    }

    public long leaderships() {
        return replicas.values().stream().filter(r -> r.role() == ReplicaRole.LEADER).count();
    }

    /** Holds no replica and no files of one: what "emptied" means for the worker itself. */
    public boolean holdsNothing() {
        return replicas.isEmpty() && removals.isEmpty();
    }

    /** The same report as of another instant (to compare contents). */
    NodeReplicas at(Instant instant) {
        return new NodeReplicas(node, instant, replicas, removals);
    }
}
