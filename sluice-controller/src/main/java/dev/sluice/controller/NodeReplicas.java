package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ReplicaRole;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one worker reported at one instant: every partition replica it hosts and serves, every group it is
 * still removing (its files are not deleted yet), and whether its disk lets it take new work. Soft state.
 *
 * @param diskOk whether the worker's data directory is above its free-space floor (its status says
 *     {@code disk.state: ok}, or says nothing of its disk); a worker below it takes no writes, stops its Raft
 *     server when critical, and must get no replica and no leadership
 * @param clients what the worker's clients asked of it over the few seconds before the report, or {@code null} from a
 *     worker that does not count them
 * @param shuttingDown whether the worker is in a graceful shutdown (its status has {@code shutdown}): it is handing
 *     its leaderships away and stops within its shutdown timeout, so it must get no replica and no leadership
 */
public record NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals, boolean diskOk,
        ClientWindow clients, boolean shuttingDown) {

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
        this(node, observedAt, replicas, List.of(), true, null, false);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals) {
        this(node, observedAt, replicas, removals, true, null, false);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals, boolean diskOk) {
        this(node, observedAt, replicas, removals, diskOk, null, false);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals, boolean diskOk,
            ClientWindow clients) {
        this(node, observedAt, replicas, removals, diskOk, clients, false);
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

    /** The same report with {@code changed} replicas instead. */
    NodeReplicas withReplicas(Map<PartitionId, ReplicaView> changed) {
        return new NodeReplicas(node, observedAt, changed, removals, diskOk, clients, shuttingDown);
    }

    /** The same report as of another instant (to compare contents). */
    NodeReplicas at(Instant instant) {
        return new NodeReplicas(node, instant, replicas, removals, diskOk, clients, shuttingDown);
    }
}
