package dev.sluice.testkit;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a fresh test cluster gets its first placements, before any controller runs. Replaceable: once the
 * controller places partitions itself, a cluster is built with {@link #none()} and the controller's
 * placements are awaited instead.
 */
@FunctionalInterface
public interface InitialPlacement {

    /** The replica set of every partition, given the registered workers sorted by id. Empty: write nothing. */
    Map<PartitionId, List<NodeId>> place(PartitionTable table, List<NodeConfig> workers);

    /**
     * Partition {@code p} goes to workers {@code p, p+1, …} (mod the worker count), so every worker holds the
     * same number of replicas when the partition count is a multiple of the worker count; the first listed
     * is the preferred leader.
     */
    static InitialPlacement roundRobin() {
        return (table, workers) -> {
            int replicas = table.replication().replicas();
            if (workers.size() < replicas) {
                throw new IllegalArgumentException("need at least " + replicas + " workers for " + table.replication() + ", have " + workers.size());
            }
            Map<PartitionId, List<NodeId>> placements = new LinkedHashMap<>();
            for (PartitionId partition : table.partitions()) {
                List<NodeId> members = new ArrayList<>();
                for (int r = 0; r < replicas; r++) {
                    members.add(workers.get((partition.value() + r) % workers.size()).nodeId());
                }
                placements.put(partition, List.copyOf(members));
            }
            return placements;
        };
    }

    /** Writes nothing: something else (the controller) places the partitions. */
    static InitialPlacement none() {
        return (table, workers) -> Map.of();
    }
}
