package dev.sluice.scheduler;

import dev.sluice.model.Liveness;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the scheduler needs to know about one node, flattened from the nodes configuration (intent) and
 * liveness (soft state), so that a dry-run can change a node's state or add a node without inventing a
 * stored {@link NodeConfig}.
 *
 * @param zone {@code region.zone}, or {@code null} for a node the configuration does not know
 * @param state the worker state, or {@code null} if the node is not a worker the configuration knows
 * @param deadSince when it was first seen dead, or {@code null} while it is alive
 */
record NodeFacts(NodeId id, String zone, WorkerState state, boolean alive, Instant deadSince) {

    static List<NodeFacts> of(NodesConfiguration nodes, Liveness liveness) {
        List<NodeFacts> facts = new ArrayList<>(nodes.nodes().size());
        for (NodeConfig node : nodes.nodes()) {
            NodeId id = node.nodeId();
            boolean alive = liveness.isAlive(id);
            facts.add(new NodeFacts(id, node.location().toString(), node.isWorker() ? node.workerState() : null, alive,
                    liveness.deadSince(id).orElse(null)));
        }
        return facts;
    }

    NodeFacts withState(WorkerState newState) {
        return new NodeFacts(id, zone, newState, alive, deadSince);
    }
}
