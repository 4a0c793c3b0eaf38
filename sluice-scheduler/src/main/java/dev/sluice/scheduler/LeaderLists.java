package dev.sluice.scheduler;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Who leads what, per eligible node, as the leader search walks it: the partitions a node led before the free sweep, in
 * partition order, then each partition the sweep or a chain gave it, in the order they came (a list may hold a partition
 * the node no longer leads; the search skips those).
 *
 * <p>A node's list is built when the search first walks it, from the partitions the index says name the node and those
 * this pass touched, as it would have been when the search began. A steady pass's search walks a few nodes; building
 * every list took a walk over every partition each pass (a million at fleet size) for them. A placement from nothing, which
 * touches every partition, builds them all at once (see {@link #of}), and a search that has built a quarter of them one
 * by one builds the rest in one walk.
 */
final class LeaderLists {

    private final int[] leader;
    private final boolean[] eligible;
    private final PlacementIndex index;
    private final IntList[] lists;
    /** Partitions given to a node (by the sweep or a chain) before its list was built, in order. */
    private final IntList[] given;
    /** The partitions this pass touched before the search began, by their leader then. */
    private final IntList[] touchedBy;
    /**
     * The leader before the free sweep of each partition whose leadership moved since (the first move's holder). Read for
     * every partition naming a worker whose list is built: a map of boxed keys allocated a number each time.
     */
    private final FirstHolders firstHolder = new FirstHolders();
    private final int eligibleCount;
    /** Lists built one by one so far. */
    private int built;

    private LeaderLists(int[] leader, boolean[] eligible, PlacementIndex index, int nodeCount, boolean lazy) {
        this.leader = leader;
        this.eligible = eligible;
        int count = 0;
        for (boolean e : eligible) {
            count += e ? 1 : 0;
        }
        this.eligibleCount = count;
        this.index = index;
        this.lists = new IntList[nodeCount];
        this.given = lazy ? new IntList[nodeCount] : null;
        this.touchedBy = lazy ? new IntList[nodeCount] : null;
    }

    /**
     * The lists as the search begins, after the free sweep's moves ({@code sweepMoves}: (partition, from, to) triples in
     * order); built on first use unless the pass touched so many partitions that walking them all is as cheap.
     */
    static LeaderLists of(int[] leader, boolean[] eligible, PlacementIndex index, BitSet touched, IntList sweepMoves) {
        return of(leader, eligible, index, touched, sweepMoves, index.visitAll || (long) touched.cardinality() * 8 > index.partitionCount);
    }

    /** {@link #of}, every list built at once or not (for tests to compare). */
    static LeaderLists of(int[] leader, boolean[] eligible, PlacementIndex index, BitSet touched, IntList sweepMoves, boolean eager) {
        int nodeCount = eligible.length;
        LeaderLists lists = new LeaderLists(leader, eligible, index, nodeCount, !eager);
        if (eager) {
            lists.buildAll(sweepMoves);
            return lists;
        }
        for (int i = 0; i < sweepMoves.size(); i += 3) {
            lists.firstHolder.putIfAbsent(sweepMoves.get(i), sweepMoves.get(i + 1));
        }
        for (int p = touched.nextSetBit(0); p >= 0; p = touched.nextSetBit(p + 1)) {
            int before = lists.before(p);
            if (before >= 0 && eligible[before]) {
                if (lists.touchedBy[before] == null) {
                    lists.touchedBy[before] = new IntList(2);
                }
                lists.touchedBy[before].add(p);
            }
        }
        for (int i = 0; i < sweepMoves.size(); i += 3) {
            lists.give(sweepMoves.get(i + 2), sweepMoves.get(i));
        }
        return lists;
    }

    /**
     * Only the leaderships that move anyway in this pass ({@code free}), by their leader now, and those chains give: all a
     * search with no budget left may pass on.
     */
    static LeaderLists ofFree(int[] leader, boolean[] eligible, BitSet free) {
        LeaderLists lists = new LeaderLists(leader, eligible, null, eligible.length, true);
        for (int q = free.nextSetBit(0); q >= 0; q = free.nextSetBit(q + 1)) {
            if (leader[q] >= 0 && eligible[leader[q]]) {
                lists.give(leader[q], q);
            }
        }
        return lists;
    }

    /** The partitions {@code node} leads or led, as described above; {@code node} must be eligible. */
    IntList of(int node) {
        IntList list = lists[node];
        if (list != null) {
            return list;
        }
        if (index != null && 4L * built >= eligibleCount) {
            // A search that walks many workers (the first passes of a large drain) pays less for one walk over every
            // partition than for a sort per worker: with lists built one by one only, the slowest pass of a 100-worker
            // drain at 10,000 × 1,000,000 took 0.52–0.59 s where building them all took 0.41 s (0.47–0.49 s so).
            buildRest();
            return lists[node];
        }
        built++;
        return build(node);
    }

    /**
     * Records that {@code partition}'s leadership moves from {@code from} to {@code to}, before {@link Pass}'s leaders say
     * so: the leader {@code partition} had before the search stays its place in {@code from}'s list.
     */
    void moved(int partition, int from, int to) {
        if (given != null) {
            firstHolder.putIfAbsent(partition, from);
        }
        give(to, partition);
    }

    private void give(int node, int partition) {
        if (given == null || lists[node] != null) {
            lists[node].add(partition);
        } else {
            if (given[node] == null) {
                given[node] = new IntList(2);
            }
            given[node].add(partition);
        }
    }

    /** The leader of {@code p} before the free sweep. */
    private int before(int p) {
        int first = firstHolder.get(p);
        return first >= 0 ? first : leader[p];
    }

    private IntList build(int node) {
        IntList named = index == null ? null : index.named(node);
        IntList touched = index == null ? null : touchedBy[node];
        int namedSize = named == null ? 0 : named.size();
        int touchedSize = touched == null ? 0 : touched.size();
        int[] candidates = new int[namedSize + touchedSize];
        int size = 0;
        // A partition untouched when the search began has its placement's leader, so it is among those naming the node.
        for (int i = 0; i < namedSize; i++) {
            int p = named.get(i);
            if (before(p) == node) {
                candidates[size++] = p;
            }
        }
        for (int i = 0; i < touchedSize; i++) {
            candidates[size++] = touched.get(i);
        }
        Arrays.sort(candidates, 0, size);
        IntList gave = given[node];
        IntList list = new IntList(Math.max(1, size + (gave == null ? 0 : gave.size())));
        for (int i = 0; i < size; i++) {
            if (i == 0 || candidates[i - 1] != candidates[i]) {
                list.add(candidates[i]);
            }
        }
        for (int i = 0; gave != null && i < gave.size(); i++) {
            list.add(gave.get(i));
        }
        lists[node] = list;
        given[node] = null;
        return list;
    }

    /** Every list not built yet, in one walk over every partition, as {@link #build} would build each. */
    private void buildRest() {
        int[] before = leader.clone();
        firstHolder.forEach((partition, node) -> before[partition] = node);
        boolean[] fresh = fill(before);
        for (int n = 0; n < lists.length; n++) {
            IntList gave = given[n];
            for (int i = 0; fresh[n] && gave != null && i < gave.size(); i++) {
                lists[n].add(gave.get(i));
            }
            given[n] = null;
        }
    }

    /** Every list at once: one walk over every partition, for a pass that touched most of them. */
    private void buildAll(IntList sweepMoves) {
        int[] before = leader.clone();
        for (int i = sweepMoves.size() - 3; i >= 0; i -= 3) {
            before[sweepMoves.get(i)] = sweepMoves.get(i + 1);
        }
        fill(before);
        for (int i = 0; i < sweepMoves.size(); i += 3) {
            lists[sweepMoves.get(i + 2)].add(sweepMoves.get(i));
        }
    }

    /**
     * Makes the list of each eligible node that has none yet, of the partitions {@code before} gives it, in partition
     * order; which nodes got one.
     */
    private boolean[] fill(int[] before) {
        int[] led = new int[lists.length];
        for (int p = 0; p < before.length; p++) {
            if (before[p] >= 0) {
                led[before[p]]++;
            }
        }
        boolean[] fresh = new boolean[lists.length];
        for (int n = 0; n < lists.length; n++) {
            if (eligible[n] && lists[n] == null) {
                lists[n] = new IntList(Math.max(1, led[n]));
                fresh[n] = true;
            }
        }
        for (int p = 0; p < before.length; p++) {
            if (before[p] >= 0 && fresh[before[p]]) {
                lists[before[p]].add(p);
            }
        }
        return fresh;
    }

    /** Partition → node, both not negative, by open addressing: few entries, looked up often. */
    private static final class FirstHolders {
        private int[] keys = emptyKeys(16);
        private int[] values = new int[16];
        private int size;

        private static int[] emptyKeys(int capacity) {
            int[] keys = new int[capacity];
            Arrays.fill(keys, -1);
            return keys;
        }

        /** The node put for {@code partition}, or -1. */
        int get(int partition) {
            if (size == 0) {
                return -1;
            }
            int mask = keys.length - 1;
            for (int slot = mix(partition) & mask; ; slot = (slot + 1) & mask) {
                if (keys[slot] == partition) {
                    return values[slot];
                }
                if (keys[slot] < 0) {
                    return -1;
                }
            }
        }

        /** Puts {@code node} for {@code partition} unless it has one. */
        void putIfAbsent(int partition, int node) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int slot = mix(partition) & mask;
            while (keys[slot] >= 0) {
                if (keys[slot] == partition) {
                    return;
                }
                slot = (slot + 1) & mask;
            }
            keys[slot] = partition;
            values[slot] = node;
            size++;
        }

        private void grow() {
            int[] oldKeys = keys;
            int[] oldValues = values;
            keys = emptyKeys(oldKeys.length * 2);
            values = new int[oldKeys.length * 2];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] >= 0) {
                    putIfAbsent(oldKeys[i], oldValues[i]);
                }
            }
        }

        /** Calls {@code action} with each partition and its node, in no order. */
        void forEach(java.util.function.BiConsumer<Integer, Integer> action) {
            for (int slot = 0; slot < keys.length; slot++) {
                if (keys[slot] >= 0) {
                    action.accept(keys[slot], values[slot]);
                }
            }
        }

        private static int mix(int key) {
            int h = key * 0x9E3779B9;
            return h ^ (h >>> 16);
        }
    }
}
