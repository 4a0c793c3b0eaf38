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

    /** In partition order, as the pass walks them; the pass's own copy of every placement (see {@link #placements}). */
    private final PartitionMap<VersionedPlacement> seen = new PartitionMap<>();
    /** The partitions whose record seen last has a next set, in partition order (the order moves are stepped in). */
    private final TreeSet<PartitionId> moving = new TreeSet<>();
    /**
     * Records new since {@link #takeChangedAndMoving}, by partition. Taken maps are replaced, not cleared: after a term's
     * first pass handed over every placement, clearing one walks a table sized for a million entries every pass.
     */
    private Map<PartitionId, VersionedPlacement> changed = new LinkedHashMap<>();
    private final List<PartitionId> removed = new ArrayList<>();
    /** Records written since {@link #takeWritten}. */
    private Map<PartitionId, VersionedPlacement> written = new LinkedHashMap<>();
    private final List<Cursor> cursors = new ArrayList<>();

    /**
     * The partitions whose record changed or went since this cursor was last taken from: for a part of the pass that keeps
     * its own state over the placements and catches up from what changed (the first take has every partition).
     */
    static final class Cursor {
        private Set<PartitionId> changed = new HashSet<>();

        /** The partitions whose record changed or went since the last call. */
        Set<PartitionId> take() {
            Set<PartitionId> taken = changed;
            changed = new HashSet<>();
            return taken;
        }
    }

    /** A new cursor that has every partition seen so far to take. */
    Cursor cursor() {
        Cursor cursor = new Cursor();
        cursor.changed.addAll(seen.keySet());
        cursors.add(cursor);
        return cursor;
    }

    /**
     * Takes what the view says may have changed: records not the same object as the one seen are changed; when the
     * changes are complete, a partition missing from them is gone.
     */
    void read(ClusterView.PlacementChanges changes) {
        for (VersionedPlacement versioned : changes.placements()) {
            PartitionId partition = versioned.placement().partition();
            if (seen.put(partition, versioned) != versioned) {
                noteChanged(partition, versioned);
            }
        }
        if (changes.complete()) {
            if (seen.size() != changes.placements().size()) {
                Set<PartitionId> present = new HashSet<>();
                changes.placements().forEach(versioned -> present.add(versioned.placement().partition()));
                List<PartitionId> gone = seen.keySet().stream().filter(partition -> !present.contains(partition)).toList();
                gone.forEach(this::forget);
            }
        } else {
            changes.removed().stream().filter(seen::containsKey).sorted().forEach(this::forget);
        }
    }

    /** Takes the pass's placements as they are (every one). */
    void read(Map<PartitionId, VersionedPlacement> placements) {
        read(new ClusterView.PlacementChanges(true, placements.values(), Set.of()));
    }

    private void forget(PartitionId partition) {
        seen.remove(partition);
        moving.remove(partition);
        changed.remove(partition);
        removed.add(partition);
        for (Cursor cursor : cursors) {
            cursor.changed.add(partition);
        }
    }

    /**
     * Every placement as the pass knows it, in partition order: the records read and those the pass wrote. The pass's
     * working copy: the {@link PlacementWriter} puts what it writes into it (and tells {@link #written}).
     */
    Map<PartitionId, VersionedPlacement> placements() {
        return seen;
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
        for (Cursor cursor : cursors) {
            cursor.changed.add(partition);
        }
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
        Map<PartitionId, VersionedPlacement> looked = changed;
        changed = new LinkedHashMap<>();
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

    /** The records written since the last call. */
    Collection<VersionedPlacement> takeWritten() {
        List<VersionedPlacement> taken = List.copyOf(written.values());
        written = new LinkedHashMap<>();
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
            if (!versioned.equals(seen.get(partition))) {
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
