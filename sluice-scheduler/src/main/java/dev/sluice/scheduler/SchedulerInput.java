package dev.sluice.scheduler;

import dev.sluice.model.Liveness;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one scheduling pass looks at, as an immutable snapshot. The scheduler reads nothing else:
 * no clock (the time is {@code now}), no store, no randomness.
 *
 * @param nodes stored intent: every node's worker state, roles and location
 * @param liveness soft state: which nodes run, and since when the others are dead
 * @param placements the placement of each partition that has one; a partition of the table without an
 *     entry gets an initial replica set
 */
public record SchedulerInput(
        NodesConfiguration nodes,
        Liveness liveness,
        PartitionTable table,
        Map<PartitionId, Placement> placements,
        SchedulerLimits limits,
        Instant now) {

    /**
     * @throws IllegalArgumentException if a placement is filed under another partition's id or names a
     *     partition outside the table
     */
    public SchedulerInput {
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(liveness, "liveness");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(now, "now");
        placements = Map.copyOf(placements);
        for (Map.Entry<PartitionId, Placement> entry : placements.entrySet()) {
            if (!entry.getKey().equals(entry.getValue().partition())) {
                throw new IllegalArgumentException("placement of " + entry.getValue().partition() + " is filed under " + entry.getKey());
            }
            if (!table.contains(entry.getKey())) {
                throw new IllegalArgumentException("placement of " + entry.getKey() + " is outside the table of "
                        + table.partitionCount() + " partitions");
            }
        }
    }

    public SchedulerInput withPlacements(Map<PartitionId, Placement> newPlacements) {
        return new SchedulerInput(nodes, liveness, table, newPlacements, limits, now);
    }

    public SchedulerInput withNodes(NodesConfiguration newNodes) {
        return new SchedulerInput(newNodes, liveness, table, placements, limits, now);
    }

    public SchedulerInput withLiveness(Liveness newLiveness) {
        return new SchedulerInput(nodes, newLiveness, table, placements, limits, now);
    }

    public SchedulerInput withLimits(SchedulerLimits newLimits) {
        return new SchedulerInput(nodes, liveness, table, placements, newLimits, now);
    }

    public SchedulerInput withNow(Instant newNow) {
        return new SchedulerInput(nodes, liveness, table, placements, limits, newNow);
    }
}
