package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** Every partition replica one node hosts, as observed at one instant. Soft state. */
public record NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas) {

    public NodeReplicas {
        replicas = java.util.Collections.unmodifiableMap(new TreeMap<>(replicas));
    }

    public boolean hosts(PartitionId partition) {
        return replicas.containsKey(partition);
    }

    public long leaderships() {
        return replicas.values().stream().filter(r -> r.role() == ReplicaRole.LEADER).count();
    }
}
