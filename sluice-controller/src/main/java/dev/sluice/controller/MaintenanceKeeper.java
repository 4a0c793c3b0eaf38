package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Fence;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeResolution;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends maintenance intents whose time is over, by one of two rules:
 * <ul>
 *   <li><b>Back and caught up.</b> The node registered again with a newer generation than when the intent
 *       began, answered a status poll after the controller first saw that generation, and every replica it
 *       hosts has applied at least what its partition's leader had applied when the controller first saw it
 *       back. The target is fixed when first seen, so a partition taking writes does not keep it moving.
 *   <li><b>Ran out.</b> The time limit passed. The event says whether the node is still away; if it is, the
 *       ordinary dead-node grace period starts now (the scheduler counts it from the intent's end).
 * </ul>
 * A node that never restarted stays in maintenance until an operator ends it or its time runs out: the rule
 * cannot tell a finished maintenance from one that has not started. Soft state (when a node was first seen
 * back) is rebuilt by a new controller leader, which only delays the end.
 */
final class MaintenanceKeeper {

    private static final Logger log = LoggerFactory.getLogger(MaintenanceKeeper.class);

    /** A node seen back from its maintenance, and what each of its replicas must reach. */
    private record Return(int generation, Instant seenAt, Map<PartitionId, Long> targets) {}

    private final ClusterMetadata metadata;
    private final Duration deadNodeGrace;
    private final ControllerMetrics metrics;
    private final Map<NodeId, Return> returns = new HashMap<>();
    /** What each node back from its maintenance still waits for, as last judged; logged when it changes. */
    private final Map<NodeId, String> waiting = new HashMap<>();

    MaintenanceKeeper(ClusterMetadata metadata, Duration deadNodeGrace, ControllerMetrics metrics) {
        this.metadata = metadata;
        this.deadNodeGrace = deadNodeGrace;
        this.metrics = metrics;
    }

    /** Ends every intent that is over; returns the nodes configuration after the ends written. */
    NodesConfiguration endOver(NodesConfiguration nodes, Function<NodeId, List<Placement>> placementsNaming, Set<NodeId> registered, Observer observed,
            Map<PartitionId, NodeId> leaders, Fence fence, Instant now) {
        NodesConfiguration latest = nodes;
        returns.keySet().removeIf(node -> nodes.find(node).map(n -> n.maintenance() == null || n.maintenance().end() != null).orElse(true));
        waiting.keySet().retainAll(returns.keySet());
        for (NodeConfig node : nodes.workers()) {
            Maintenance intent = node.maintenance();
            if (intent == null || intent.end() != null) {
                continue;
            }
            boolean away = !registered.contains(node.nodeId()) || !observed.healthy(node.nodeId());
            if (!now.isBefore(intent.until())) {
                String note = away
                        ? "the node is still away: its replicas are replaced after the dead-node grace period of " + Durations.human(deadNodeGrace)
                                + " unless it comes back"
                        : "the node is up; leaderships return to it as the scheduler balances them";
                latest = end(node, intent, Maintenance.EndCause.EXPIRED, note, fence, now);
                continue;
            }
            if (node.id().generation() <= intent.generation() || away) {
                continue;
            }
            Return back = returns.compute(node.nodeId(), (id, seen) -> seen != null && seen.generation() == node.id().generation() ? seen
                    : new Return(node.id().generation(), now, new HashMap<>()));
            Optional<String> waitingFor = stillToDo(node.nodeId(), back, placementsNaming.apply(node.nodeId()), observed, leaders);
            if (waitingFor.isEmpty()) {
                latest = end(node, intent, Maintenance.EndCause.CAUGHT_UP, "", fence, now);
            } else if (!waitingFor.get().equals(waiting.put(node.nodeId(), waitingFor.get()))) {
                log.info("{} is back from maintenance; its maintenance ends once it has {}", NodeResolution.label(node), waitingFor.get());
            }
        }
        return latest;
    }

    /** Whether a node is back from its maintenance and being watched until it caught up. */
    boolean watching() {
        return !returns.isEmpty();
    }

    /** What {@code node}, back from its maintenance, has yet to do before it ends, in the words of "ends once it has …". */
    Optional<String> waitingFor(NodeId node) {
        return Optional.ofNullable(waiting.get(node));
    }

    /**
     * What the returned {@code node} still has to catch up, or empty once it has; {@code placements} are those naming it,
     * by partition (all of them were walked twice a pass per returned node: at a million partitions, a rolling restart's
     * every pass).
     */
    private static Optional<String> stillToDo(NodeId node, Return back, List<Placement> placements, Observer observed,
            Map<PartitionId, NodeId> leaders) {
        Optional<Instant> answered = observed.lastAnswer(node);
        if (answered.isEmpty() || !answered.get().isAfter(back.seenAt())) {
            return Optional.of("answered a status poll from its new process");
        }
        // Every target is fixed in the same pass, from the leaders' reports of that moment: fixed one partition at a
        // time, each later target was a newer leader index the node had not reported yet, and a worker with 18
        // replicas took 18 passes to be judged caught up.
        for (Placement placement : placements) {
            PartitionId partition = placement.partition();
            NodeId leader = leaders.get(partition);
            if (placement.current().contains(node) && !back.targets().containsKey(partition)) {
                if (node.equals(leader)) {
                    back.targets().put(partition, 0L);
                } else if (leader != null) {
                    observed.view(leader, partition).ifPresent(view -> back.targets().put(partition, view.appliedIndex()));
                }
            }
        }
        for (Placement placement : placements) {
            if (!placement.current().contains(node)) {
                continue;
            }
            PartitionId partition = placement.partition();
            Long target = back.targets().get(partition);
            if (target == null) {
                return Optional.of("seen a leader of " + partition);
            }
            Optional<ReplicaView> replica = observed.view(node, partition);
            if (replica.isEmpty()) {
                return Optional.of("opened its replica of " + partition);
            }
            if (replica.get().appliedIndex() < target) {
                return Optional.of("applied " + partition + " up to index " + target + " (its leader's when it came back)");
            }
        }
        return Optional.empty();
    }

    private NodesConfiguration end(NodeConfig node, Maintenance intent, Maintenance.EndCause cause, String note, Fence fence, Instant now) {
        NodesConfigurationStore.Update update = metadata.nodes().update(current -> new NodesChange.EndMaintenance(node.nodeId(), Actor.CONTROLLER, cause,
                intent.requestId(), note, now), List.of(fence));
        if (update.applied()) {
            log.info("maintenance of {} ended: {}{}", NodeResolution.label(node), cause, note.isEmpty() ? "" : " (" + note + ")");
            returns.remove(node.nodeId());
            waiting.remove(node.nodeId());
            metrics.maintenanceEnded(cause);
        }
        return update.configuration();
    }
}
