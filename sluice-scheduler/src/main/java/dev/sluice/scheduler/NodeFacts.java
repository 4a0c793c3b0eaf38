package dev.sluice.scheduler;

import dev.sluice.model.Liveness;
import dev.sluice.model.Location;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the scheduler needs to know about one node, flattened from the nodes configuration (intent) and
 * liveness (soft state), so that a dry-run can change a node's state or add a node without inventing a
 * stored {@link NodeConfig}.
 *
 * @param zone {@code region.zone}, or {@code null} for a node the configuration does not know
 * @param state the worker state, or {@code null} if the node is not a worker the configuration knows
 * @param deadSince since when its absence counts towards the dead-node grace period, or {@code null} while
 *     it is alive: when it was first seen dead, or when its maintenance ended if that was later
 * @param inMaintenance a maintenance intent holds for it now: it keeps its replicas however long it is away,
 *     and receives neither replicas nor leaderships
 * @param cordoned an operator cordoned it: it keeps its replicas and the leaderships it holds, and receives no new ones
 * @param replacedBy while it drains as a replace, the worker that receives its replicas ({@link dev.sluice.model.Replacement}),
 *     else {@code null}
 */
record NodeFacts(NodeId id, String zone, WorkerState state, boolean alive, Instant deadSince, boolean inMaintenance, boolean cordoned,
        NodeId replacedBy) {

    /** A node nobody cordoned. */
    NodeFacts(NodeId id, String zone, WorkerState state, boolean alive, Instant deadSince, boolean inMaintenance) {
        this(id, zone, state, alive, deadSince, inMaintenance, false, null);
    }

    /** A node nobody replaces. */
    NodeFacts(NodeId id, String zone, WorkerState state, boolean alive, Instant deadSince, boolean inMaintenance, boolean cordoned) {
        this(id, zone, state, alive, deadSince, inMaintenance, cordoned, null);
    }

    static List<NodeFacts> of(NodesConfiguration nodes, Liveness liveness, Instant now) {
        List<NodeFacts> facts = new ArrayList<>(nodes.nodes().size());
        // A handful of locations for thousands of nodes: each one's text made once a pass, not once a node.
        Map<Location, String> locations = new HashMap<>();
        for (NodeConfig node : nodes.nodes()) {
            NodeId id = node.nodeId();
            boolean alive = liveness.isAlive(id);
            Instant deadSince = liveness.deadSince(id).orElse(null);
            Maintenance maintenance = node.maintenance();
            boolean inMaintenance = maintenance != null && maintenance.activeAt(now);
            if (deadSince != null && maintenance != null && !inMaintenance && maintenance.endsAt().isAfter(deadSince)) {
                // The grace period starts when the maintenance ends, not when the process went away: a node away
                // for five minutes under a one-hour maintenance that an operator then ends is not past its grace.
                deadSince = maintenance.endsAt();
            }
            facts.add(new NodeFacts(id, locations.computeIfAbsent(node.location(), Location::toString), node.isWorker() ? node.workerState() : null, alive, deadSince, inMaintenance,
                    node.isCordoned(), node.isWorker() && node.workerState() == WorkerState.DRAINING && node.replacement() != null
                            ? node.replacement().by() : null));
        }
        return facts;
    }

    NodeFacts withState(WorkerState newState) {
        return new NodeFacts(id, zone, newState, alive, deadSince, inMaintenance, cordoned, replacedBy);
    }
}
