package dev.sluice.bench;

import dev.sluice.model.Actor;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Liveness;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.Plan;
import dev.sluice.scheduler.ReplicaSetChange;
import dev.sluice.scheduler.Scheduler;
import dev.sluice.scheduler.SchedulerInput;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark cluster, described once for both sides: {@code workers} Active workers named
 * {@code w1…wN} (Sluice ids N1…NN), worker i in zone {@code z(i mod zones)}, and {@code partitions}
 * partitions of {@code replicas} replicas that must spread over {@code zones} zones (one replica per zone
 * with the defaults, as Helix's fault-zone-aware strategies do).
 */
record BenchCluster(int workers, int partitions, int replicas, int zones) {

    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    /** The worker every drain benchmark drains. */
    static final int DRAINED = 1;

    /** Parses {@code 1000x100000}: workers × partitions, with 3 replicas over 3 zones. */
    static BenchCluster parse(String shape) {
        String[] parts = shape.split("x");
        return new BenchCluster(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), 3, 3);
    }

    String zoneOf(int worker) {
        return "z" + (worker % zones);
    }

    // ---------------------------------------------------------------- Sluice

    NodesConfiguration nodes(int drained) {
        return nodes(Set.of(drained));
    }

    /** Every worker Active but those in {@code drained}, which are Draining. */
    NodesConfiguration nodes(Set<Integer> drained) {
        List<NodeConfig> nodes = new ArrayList<>(workers);
        StateChange change = new StateChange(NOW, Actor.OPERATOR, "bench", Version.MIN, "");
        for (int i = 1; i <= workers; i++) {
            nodes.add(new NodeConfig("w" + i, new GenerationalNodeId(NodeId.of(i), 1), NodeAddresses.of("127.0.0.1:1", "http://127.0.0.1:2"),
                    Set.of(Role.WORKER), new Location("r", zoneOf(i)), drained.contains(i) ? WorkerState.DRAINING : WorkerState.ACTIVE, change, "i" + i, null));
        }
        return new NodesConfiguration(Version.MIN, nodes, List.of());
    }

    PartitionTable table() {
        return new PartitionTable(partitions, new ReplicationProperty(replicas, zones));
    }

    /** Input with no placements yet; throttles lifted, so one pass computes the whole plan. */
    SchedulerInput freshInput() {
        Set<NodeId> alive = new HashSet<>();
        for (int i = 1; i <= workers; i++) {
            alive.add(NodeId.of(i));
        }
        return new SchedulerInput(nodes(0), Liveness.allAlive(alive, NOW), table(),
                Map.of(), SchedulerLimits.DEFAULTS.unthrottled(), NOW);
    }

    /** The placements a fresh cluster converges to. */
    static Map<PartitionId, Placement> apply(Map<PartitionId, Placement> placements, Plan plan) {
        Map<PartitionId, Placement> result = new HashMap<>(placements);
        for (ReplicaSetChange change : plan.replicaSetChanges()) {
            result.put(change.partition(), Placement.stable(change.partition(), change.next(), change.preferredLeader(), Version.MIN));
        }
        for (var change : plan.leadershipChanges()) {
            result.put(change.partition(), result.get(change.partition()).withLeader(change.to()));
        }
        return result;
    }

    SchedulerInput convergedInput() {
        SchedulerInput fresh = freshInput();
        return fresh.withPlacements(apply(Map.of(), Scheduler.schedule(fresh)));
    }

    /** The converged cluster with {@link #DRAINED} set to Draining. */
    SchedulerInput drainInput(SchedulerInput converged) {
        return converged.withNodes(nodes(DRAINED));
    }

    // ---------------------------------------------------------------- Helix

    List<String> helixNodes() {
        List<String> names = new ArrayList<>(workers);
        for (int i = 1; i <= workers; i++) {
            names.add("w" + i);
        }
        return names;
    }

    List<String> helixPartitions() {
        List<String> names = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            names.add("R_" + p);
        }
        return names;
    }
}
