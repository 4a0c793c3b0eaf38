package dev.sluice.scheduler;

import java.util.Arrays;

/**
 * A set of nodes kept sorted by load (replicas held), so that "the least loaded node that is not
 * excluded" costs a scan of a few entries instead of all nodes. Loads live in an array shared with
 * other indexes over overlapping node sets (all eligible nodes, the eligible nodes of one zone); the
 * caller announces a change before making it, so each index keeps its order with one swap.
 *
 * <p>Within one load the order is the order of arrival: a node that just received a replica goes to
 * the end of its new load group.
 */
final class LoadIndex {

    private final int[] load;
    private final int[] order;
    private final int[] position;
    /** {@code below[l]} = how many members have a load below {@code l}: the rank where load {@code l} starts. */
    private int[] below;

    /** @param members node indices, ascending: ties in load start in that order */
    LoadIndex(int[] load, int[] members, int nodeCount) {
        this.load = load;
        this.position = new int[nodeCount];
        Arrays.fill(position, -1);
        int maxLoad = 0;
        for (int member : members) {
            maxLoad = Math.max(maxLoad, load[member]);
        }
        // A counting sort by load, stable: equal loads keep ascending node order. O(N + max load), no boxing: at
        // 10,000 nodes a pass builds four of these.
        int[] start = new int[maxLoad + 2];
        for (int member : members) {
            start[load[member] + 1]++;
        }
        for (int l = 1; l < start.length; l++) {
            start[l] += start[l - 1];
        }
        this.order = new int[members.length];
        for (int member : members) {
            int rank = start[load[member]]++;
            order[rank] = member;
            position[member] = rank;
        }
        this.below = new int[maxLoad + 2];
        int rank = 0;
        for (int l = 0; l < below.length; l++) {
            while (rank < order.length && load[order[rank]] < l) {
                rank++;
            }
            below[l] = rank;
        }
    }

    int size() {
        return order.length;
    }

    /** The node at rank {@code rank}, rank 0 being the least loaded. */
    int at(int rank) {
        return order[rank];
    }

    /** The number of nodes that share the lowest load (0 if the index is empty). */
    int leastLoadedCount() {
        return order.length == 0 ? 0 : below[load[order[0]] + 1];
    }

    boolean contains(int node) {
        return position[node] >= 0;
    }

    /** Call just before {@code load[node]} grows by one. */
    void beforeIncrement(int node) {
        int current = load[node];
        if (current + 2 >= below.length) {
            int oldLength = below.length;
            below = Arrays.copyOf(below, Math.max(oldLength * 2, current + 3));
            Arrays.fill(below, oldLength, below.length, order.length);
        }
        // The last rank holding this load: the node swaps there and the next load starts one earlier.
        int last = below[current + 1] - 1;
        swap(position[node], last);
        below[current + 1]--;
    }

    /** Call just before {@code load[node]} shrinks by one. */
    void beforeDecrement(int node) {
        int current = load[node];
        int first = below[current];
        swap(position[node], first);
        below[current]++;
    }

    private void swap(int a, int b) {
        if (a == b) {
            return;
        }
        int nodeA = order[a];
        int nodeB = order[b];
        order[a] = nodeB;
        order[b] = nodeA;
        position[nodeB] = a;
        position[nodeA] = b;
    }
}
