package dev.sluice.worker;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** A {@link GroupHost} in memory: what it lists is set by the test, and it records every change asked of it. */
final class FakeGroupHost implements GroupHost {

    final Map<PartitionId, GroupState> listed = new TreeMap<>();
    final Set<PartitionId> onDisk = new TreeSet<>();
    final List<PartitionId> added = new ArrayList<>();
    final List<PartitionId> removed = new ArrayList<>();
    final List<PartitionId> deleted = new ArrayList<>();
    /**
     * Partitions Ratis has already taken off its list for a remove call that has not returned, as Ratis does
     * when the call begins: when the call returns, it does not touch whatever is listed under that partition.
     */
    final Set<PartitionId> delistedByPendingRemove = new TreeSet<>();
    /** Whether a remove call that has not returned waits for nothing (see {@link GroupHost#removeWaitsForNothing}). */
    volatile boolean stuckRemovesWaitForNothing = true;
    /** Partitions whose remove call fails, with how many more times it does. */
    final Map<PartitionId, Integer> failingRemovals = new HashMap<>();

    /** What Ratis does when a remove call begins: the group leaves the list while the call has not returned. */
    synchronized void delistForPendingRemove(PartitionId partition) {
        listed.remove(partition);
        delistedByPendingRemove.add(partition);
    }

    synchronized FakeGroupHost with(PartitionId partition, GroupState state) {
        listed.put(partition, state);
        onDisk.add(partition);
        return this;
    }

    @Override
    public synchronized Map<PartitionId, GroupState> groups() {
        return new TreeMap<>(listed);
    }

    @Override
    public synchronized Set<PartitionId> groupsOnDisk() {
        return new TreeSet<>(onDisk);
    }

    @Override
    public synchronized boolean add(PartitionId partition, List<NodeConfig> peers) {
        if (listed.containsKey(partition)) {
            return false;
        }
        added.add(partition);
        listed.put(partition, GroupState.STARTING);
        onDisk.add(partition);
        return true;
    }

    @Override
    public synchronized boolean remove(PartitionId partition) throws IOException {
        int failures = failingRemovals.getOrDefault(partition, 0);
        if (failures > 0) {
            failingRemovals.put(partition, failures - 1);
            throw new IOException("disk says no");
        }
        removed.add(partition);
        if (delistedByPendingRemove.remove(partition)) {
            return true;
        }
        return listed.remove(partition) != null;
    }

    @Override
    public synchronized void deleteFiles(PartitionId partition) {
        deleted.add(partition);
        onDisk.remove(partition);
    }

    @Override
    public boolean removeWaitsForNothing(Thread call) {
        return stuckRemovesWaitForNothing;
    }
}
