package dev.sluice.scheduler;

import java.util.Arrays;
import java.util.BitSet;

/**
 * What one pass decides per partition — its target set, the kind of change, whether balancing must leave it alone, its
 * leader and why that moved — over arrays that live as long as the {@link PlacementIndex}, so a pass allocates nothing
 * per partition. Only partitions a pass writes are <em>touched</em>; {@link #reset} puts exactly those back to the
 * placement's values, so that starting a pass costs what the last one changed.
 */
final class PartitionWork {

    final int[][] target;
    final ChangeKind[] kind;
    final boolean[] holdFill;
    final int[] leader;
    final LeadershipChange.Cause[] leaderCause;
    /** Partitions this pass wrote, in any order, and the same as a set (iterated in partition order). */
    private final IntList touchedList = new IntList();
    final BitSet touched;

    PartitionWork(int partitionCount) {
        // Sized for every partition at once: a full placement touches them all in order, and a set grown by doubling
        // copied its words twenty times on the way to a million.
        touched = new BitSet(partitionCount);
        target = new int[partitionCount][];
        kind = new ChangeKind[partitionCount];
        holdFill = new boolean[partitionCount];
        leader = new int[partitionCount];
        leaderCause = new LeadershipChange.Cause[partitionCount];
    }

    /** Every partition back to its placement (after a rebuild, or for the first pass). */
    void resetAll(PlacementIndex index) {
        touchedList.clear();
        touched.clear();
        // restore for every partition, array by array: copies at memory speed where a loop over a million partitions would
        // run interpreted for a while on a first pass.
        System.arraycopy(index.current, 0, target, 0, target.length);
        for (int p = index.inFlight.nextSetBit(0); p >= 0; p = index.inFlight.nextSetBit(p + 1)) {
            target[p] = index.baseTarget(p);
        }
        Arrays.fill(kind, null);
        Arrays.fill(holdFill, false);
        System.arraycopy(index.originalLeader, 0, leader, 0, leader.length);
        Arrays.fill(leaderCause, null);
    }

    /** The partitions the last pass touched back to their placement, whose index may have changed since. */
    void reset(PlacementIndex index) {
        for (int i = 0; i < touchedList.size(); i++) {
            restore(index, touchedList.get(i));
        }
        touchedList.clear();
        touched.clear();
    }

    /** Re-reads an untouched partition whose placement changed between passes. */
    void restore(PlacementIndex index, int p) {
        target[p] = index.baseTarget(p);
        kind[p] = null;
        holdFill[p] = false;
        leader[p] = index.originalLeader[p];
        leaderCause[p] = null;
    }

    void touch(int p) {
        if (!touched.get(p)) {
            touched.set(p);
            touchedList.add(p);
        }
    }
}
