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
 * {@link Scheduler#schedule} for a caller that runs pass after pass over one partition table — the controller — and
 * keeps the scheduler's index of the placements between them, so that a pass costs in proportion to what changed since
 * the last one (the placements put, the nodes whose facts changed, the partitions that need a decision) rather than to
 * the number of partitions. Its plans are equal to {@link Scheduler#schedule}'s on the same input; {@code
 * IncrementalSchedulerTest} checks that over random sequences of changes. How the index works and what it assumes:
 * {@code docs/scheduler.md}, "The incremental index".
 *
 * <p>Usage: {@link #put} every placement that changed since the last pass (or give the whole map to {@link
 * #schedule(SchedulerInput)}, which finds the changed ones by identity), then {@link #schedule(NodesConfiguration,
 * Liveness, SchedulerLimits, Instant)}. Holds soft state only: a new controller leader builds a new one from the store.
 * Not thread-safe: one thread calls it, as the controller's passes run on one thread.
 */
public final class IncrementalScheduler {

    private final PartitionTable table;
    private final PlacementIndex index;
    private int placed;
    /**
     * The node facts of the last pass, and the configuration, liveness and time they were made from. Both inputs are
     * immutable, and the time matters only to a node with a maintenance intent, so they are made again only when one of
     * those changed: at 10,000 workers making them was a fifth of a one-worker drain's pass.
     */
    private java.util.List<NodeFacts> facts;
    private NodesConfiguration factsNodes;
    private Liveness factsLiveness;
    private Instant factsAt;
    private boolean factsDependOnTime;

    public IncrementalScheduler(PartitionTable table) {
        this(table, false);
    }

    /** With {@code visitAll}, every pass visits every partition, as the scheduler did before the index (for tests). */
    IncrementalScheduler(PartitionTable table, boolean visitAll) {
        this.table = Objects.requireNonNull(table, "table");
        this.index = new PlacementIndex(table, visitAll);
    }

    public PartitionTable table() {
        return table;
    }

    /**
     * Records {@code placement} as its partition's placement from the next pass on. Putting the same object again costs
     * nothing.
     *
     * @throws IllegalArgumentException if the partition is not in the table
     */
    public void put(Placement placement) {
        int p = partition(placement.partition());
        Placement before = index.get(p);
        if (before == null) {
            placed++;
        }
        index.put(p, placement);
    }

    /**
     * Forgets its partition's placement: the next pass plans an initial set for it.
     *
     * @throws IllegalArgumentException if the partition is not in the table
     */
    public void remove(PartitionId partition) {
        int p = partition(partition);
        if (index.get(p) != null) {
            placed--;
            index.put(p, null);
        }
    }

    /**
     * One pass over the placements put so far: equal to {@link Scheduler#schedule} on the same nodes, liveness,
     * placements, limits and time.
     */
    public Plan schedule(NodesConfiguration nodes, Liveness liveness, SchedulerLimits limits, Instant now) {
        return new Pass(facts(nodes, liveness, now), index, limits, now).run();
    }

    /**
     * {@link #schedule(NodesConfiguration, Liveness, SchedulerLimits, Instant)} without searching chains of leadership
     * transfers to balance leaderships (leaderships that must move, and the cheap sweep of those, still are placed): for a
     * caller that makes no balancing transfer now, such as a controller while replica sets change.
     */
    public Plan scheduleWithoutLeaderChains(NodesConfiguration nodes, Liveness liveness, SchedulerLimits limits, Instant now) {
        return new Pass(facts(nodes, liveness, now), index, limits, now).withoutLeaderChains().run();
    }

    private java.util.List<NodeFacts> facts(NodesConfiguration nodes, Liveness liveness, Instant now) {
        if (facts == null || nodes != factsNodes || liveness != factsLiveness || (factsDependOnTime && !now.equals(factsAt))) {
            facts = NodeFacts.of(nodes, liveness, now);
            factsNodes = nodes;
            factsLiveness = liveness;
            factsAt = now;
            factsDependOnTime = nodes.nodes().stream().anyMatch(node -> node.maintenance() != null);
        }
        return facts;
    }

    /**
     * Takes {@code input}'s placements as the placements — those not the same object as the one held are put, those
     * missing removed: one look at each entry, no copy — then one pass.
     *
     * @throws IllegalArgumentException if {@code input}'s table is not this scheduler's
     */
    public Plan schedule(SchedulerInput input) {
        if (!input.table().equals(table)) {
            throw new IllegalArgumentException("input's table " + input.table() + " is not this scheduler's " + table);
        }
        Map<PartitionId, Placement> placements = input.placements();
        for (Placement placement : placements.values()) {
            if (index.get(placement.partition().value()) != placement) {
                put(placement);
            }
        }
        if (placed != placements.size()) {
            for (int p = 0; p < table.partitionCount(); p++) {
                if (index.get(p) != null && !placements.containsKey(PartitionId.of(p))) {
                    remove(PartitionId.of(p));
                }
            }
        }
        return schedule(input.nodes(), input.liveness(), input.limits(), input.now());
    }

    private int partition(PartitionId partition) {
        if (!table.contains(partition)) {
            throw new IllegalArgumentException(partition + " is outside the table of " + table.partitionCount() + " partitions");
        }
        return partition.value();
    }
}
