package dev.sluice.controller;

import dev.sluice.model.Liveness;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdMap;
import dev.sluice.model.NodeIdSet;
import dev.sluice.model.NodesConfiguration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * Turns "which liveness entries exist now" into the scheduler's {@link Liveness}: since when each node
 * has been seen dead. Soft state of the current controller leader: a new leader starts counting again, so
 * a failover can only delay, never hasten, the replacement of a dead worker's replicas.
 */
final class LivenessTracker {

    private final Instant startedAt;
    private final Map<NodeId, Instant> deadSince = new NodeIdMap<>();
    /**
     * The last update's nodes, alive set and answer. A pass's walk of every node made the same answer again in almost
     * every pass (at 10,000 workers a few percent of a drain's pass).
     */
    private NodesConfiguration lastNodes;
    private Set<NodeId> lastAlive;
    private Liveness last;

    LivenessTracker(Instant startedAt) {
        this.startedAt = startedAt;
    }

    Liveness update(NodesConfiguration nodes, Set<NodeId> aliveNow, Instant now) {
        if (nodes == lastNodes && aliveNow.equals(lastAlive)) {
            // Nothing the answer depends on changed: every node not alive has its time of death already.
            return last;
        }
        Set<NodeId> alive = new NodeIdSet();
        Set<NodeId> known = new NodeIdSet();
        for (NodeConfig node : nodes.nodes()) {
            known.add(node.nodeId());
            if (aliveNow.contains(node.nodeId())) {
                alive.add(node.nodeId());
                deadSince.remove(node.nodeId());
            } else {
                deadSince.putIfAbsent(node.nodeId(), now);
            }
        }
        deadSince.keySet().retainAll(known);
        lastNodes = nodes;
        lastAlive = NodeIdSet.copyOf(aliveNow);
        last = Liveness.of(alive, deadSince, startedAt);
        return last;
    }

    /** Nodes that died since the last update, for events. */
    boolean isDead(NodeId node) {
        return deadSince.containsKey(node);
    }
}
