package dev.sluice.controller;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.PartitionId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the control loop knows of the placements between passes: the record it last saw of each, which changed since
 * it last looked, and which have a next set (a move under way). A pass reads the view's placements into it once (one
 * identity look at each record) and the {@link PlacementWriter} tells it every record the pass writes, so the parts of
 * a pass that only care about moves visit the moving partitions, and the move book the changed ones, instead of every
 * placement each. Soft state of one controller term, touched only on the pass's thread.
 */
final class PlacementFeed {

    private final Map<PartitionId, VersionedPlacement> seen = new HashMap<>();
    /** The partitions whose record seen last has a next set, in partition order (the order moves are stepped in). */
    private final TreeSet<PartitionId> moving = new TreeSet<>();
    /** Records new since {@link #takeChanged}, by partition. */
    private final Map<PartitionId, VersionedPlacement> changed = new LinkedHashMap<>();
    private final List<PartitionId> removed = new ArrayList<>();
    /** Records written since {@link #takeWritten}. */
    private final Map<PartitionId, VersionedPlacement> written = new LinkedHashMap<>();
    /** Partitions whose record changed or went since {@link #takeChangedForLeaders}. */
    private Set<PartitionId> changedForLeaders = new HashSet<>();

    /** Takes the pass's placements as they are: records not the same object as the one seen are changed. */
    void read(Map<PartitionId, VersionedPlacement> placements) {
        for (VersionedPlacement versioned : placements.values()) {
            PartitionId partition = versioned.placement().partition();
            if (seen.put(partition, versioned) != versioned) {
                noteChanged(partition, versioned);
            }
        }
        if (seen.size() != placements.size()) {
            for (java.util.Iterator<PartitionId> known = seen.keySet().iterator(); known.hasNext(); ) {
                PartitionId partition = known.next();
                if (!placements.containsKey(partition)) {
                    known.remove();
                    moving.remove(partition);
                    changed.remove(partition);
                    removed.add(partition);
                    changedForLeaders.add(partition);
                }
            }
        }
    }

    /** The pass wrote {@code versioned} (and put it into its copy of the placements). */
    void written(VersionedPlacement versioned) {
        PartitionId partition = versioned.placement().partition();
        seen.put(partition, versioned);
        noteChanged(partition, versioned);
        written.put(partition, versioned);
    }

    private void noteChanged(PartitionId partition, VersionedPlacement versioned) {
        changed.put(partition, versioned);
        changedForLeaders.add(partition);
        if (versioned.placement().hasNext()) {
            moving.add(partition);
        } else {
            moving.remove(partition);
        }
    }

    /** The partitions with a move under way, in partition order; a view that follows the feed. */
    SortedSet<PartitionId> moving() {
        return Collections.unmodifiableSortedSet(moving);
    }

    VersionedPlacement get(PartitionId partition) {
        return seen.get(partition);
    }

    int size() {
        return seen.size();
    }

    /** The records changed since the last call and those of every moving partition: what the move book must look at. */
    Collection<VersionedPlacement> takeChangedAndMoving() {
        Map<PartitionId, VersionedPlacement> looked = new LinkedHashMap<>(changed);
        changed.clear();
        for (PartitionId partition : moving) {
            looked.putIfAbsent(partition, seen.get(partition));
        }
        return looked.values();
    }

    /** The partitions whose placement went since the last call. */
    List<PartitionId> takeRemoved() {
        List<PartitionId> taken = List.copyOf(removed);
        removed.clear();
        return taken;
    }

    /** The partitions whose record changed or went since the last call: those whose recorded leader may be out of step. */
    Set<PartitionId> takeChangedForLeaders() {
        Set<PartitionId> taken = changedForLeaders;
        changedForLeaders = new HashSet<>();
        return taken;
    }

    /** The records written since the last call. */
    Collection<VersionedPlacement> takeWritten() {
        List<VersionedPlacement> taken = List.copyOf(written.values());
        written.clear();
        return taken;
    }

    /**
     * What this feed disagrees on with {@code placements} (the pass's copy), one line each; empty when it agrees. For the
     * simulation's checks, so a record that reached the pass's copy without passing through here fails the run.
     */
    List<String> check(Map<PartitionId, VersionedPlacement> placements) {
        List<String> wrong = new ArrayList<>();
        TreeSet<PartitionId> withNext = new TreeSet<>();
        placements.forEach((partition, versioned) -> {
            if (versioned.placement().hasNext()) {
                withNext.add(partition);
            }
            if (seen.get(partition) != versioned) {
                wrong.add(partition + ": the feed holds " + seen.get(partition) + ", the pass " + versioned);
            }
        });
        if (seen.size() != placements.size()) {
            wrong.add("the feed holds " + seen.size() + " placements, the pass " + placements.size());
        }
        if (!withNext.equals(moving)) {
            wrong.add("moving partitions kept " + moving + ", the placements say " + withNext);
        }
        return wrong;
    }
}
